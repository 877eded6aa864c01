import { describe, expect, it } from 'vitest';
import { formatBytes, formatTime } from './format.ts';

describe('formatBytes', () => {
  it('counts small sizes in bytes, singular for one', () => {
    expect(formatBytes(0)).toBe('0 bytes');
    expect(formatBytes(1)).toBe('1 byte');
    expect(formatBytes(1023)).toBe('1023 bytes');
  });

  it("uses binary units with one decimal, as the server's messages do", () => {
    expect(formatBytes(1024)).toBe('1.0 KiB');
    expect(formatBytes(5000)).toBe('4.9 KiB');
    expect(formatBytes(3 * 1024 * 1024)).toBe('3.0 MiB');
    expect(formatBytes(1024 ** 3)).toBe('1.0 GiB');
    expect(formatBytes(5 * 1024 ** 5)).toBe('5120.0 TiB');
  });
});

describe('formatTime', () => {
  it('shows only the clock time for today and the date for other days', () => {
    const now = new Date(2026, 10, 25, 15, 0);
    expect(formatTime(new Date(2026, 10, 25, 9, 5).toISOString(), now)).not.toMatch(/2026/u);
    expect(formatTime(new Date(2026, 10, 24, 9, 5).toISOString(), now)).toMatch(/2026/u);
  });
});
