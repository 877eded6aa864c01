import { describe, expect, it } from 'vitest';
import { imageProblem, quotaWarning, uploadProblem } from './upload-limits.ts';

const MIB = 1024 * 1024;
const LIMITS = { maxFileUploadBytes: 3 * MIB, quotaBytes: 10 * MIB, usedBytes: 6 * MIB };

describe('uploadProblem', () => {
  it('accepts a file within the size limit and the quota left', () => {
    expect(uploadProblem('a.png', 3 * MIB, LIMITS)).toBeUndefined();
    expect(uploadProblem('empty.txt', 0, LIMITS)).toBeUndefined();
  });

  it('names the file, its size and the limit when it is too large', () => {
    expect(uploadProblem('big.zip', 3 * MIB + 1, LIMITS)).toBe(
      'big.zip is 3.0 MiB, larger than the 3.0 MiB upload limit.',
    );
  });

  it('refuses what would pass the quota, counting uploads already under way as used (used plus left is the quota)', () => {
    expect(uploadProblem('b.bin', 2 * MIB, LIMITS, 2 * MIB + 1)).toBe(
      "b.bin (2.0 MiB) would exceed your organization's upload quota: 8.0 MiB of 10.0 MiB used (2.0 MiB of it uploading now), 2.0 MiB left.",
    );
    expect(uploadProblem('c.bin', 1, { ...LIMITS, usedBytes: 11 * MIB })).toMatch(/0 bytes left\.$/u);
  });

  it('checks the per-user quota too, naming it when it is the one that refuses', () => {
    const limits = { ...LIMITS, userQuotaBytes: 5 * MIB, userUsedBytes: 4 * MIB };
    expect(uploadProblem('d.bin', MIB, limits)).toBeUndefined();
    expect(uploadProblem('d.bin', MIB + 1, limits)).toBe(
      'd.bin (1.0 MiB) would exceed your personal upload quota: 4.0 MiB of 5.0 MiB used, 1.0 MiB left.',
    );
    expect(uploadProblem('d.bin', 1, { ...limits, userQuotaBytes: null })).toBeUndefined();
  });
});

describe('quotaWarning', () => {
  it('stays quiet below 90% and warns from 90%, with what is left', () => {
    expect(quotaWarning({ ...LIMITS, usedBytes: 8 * MIB })).toBeUndefined();
    expect(quotaWarning({ ...LIMITS, usedBytes: 9 * MIB })).toBe(
      "Your organization's upload quota is nearly full: 9.0 MiB of 10.0 MiB used, 1.0 MiB left.",
    );
  });

  it('counts uploads under way, and warns about the quota with the least left', () => {
    expect(quotaWarning(LIMITS, 3 * MIB)).toBe(
      "Your organization's upload quota is nearly full: 9.0 MiB of 10.0 MiB used (3.0 MiB of it uploading now), 1.0 MiB left.",
    );
    const limits = { ...LIMITS, userQuotaBytes: 2 * MIB, userUsedBytes: 2 * MIB - 100 * 1024 };
    expect(quotaWarning(limits)).toBe('Your upload quota is nearly full: 1.9 MiB of 2.0 MiB used, 100.0 KiB left.');
  });
});

describe('imageProblem', () => {
  it('accepts raster images within the limit', () => {
    expect(imageProblem('me.png', 1000, 'image/png', 5 * MIB)).toBeUndefined();
    // Some systems give no type; the server decides then.
    expect(imageProblem('me.heic', 1000, '', 5 * MIB)).toBeUndefined();
  });

  it('refuses other files, SVG and oversized images, naming the file', () => {
    expect(imageProblem('notes.txt', 10, 'text/plain', 5 * MIB)).toBe('notes.txt is not an image.');
    expect(imageProblem('logo.svg', 10, 'image/svg+xml', 5 * MIB)).toBe(
      'logo.svg is an SVG; use a PNG, JPEG, GIF or WebP image.',
    );
    expect(imageProblem('huge.png', 6 * MIB, 'image/png', 5 * MIB)).toBe(
      'huge.png is 6.0 MiB; images may be at most 5.0 MiB.',
    );
  });
});
