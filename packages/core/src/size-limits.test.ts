import { describe, expect, it } from 'vitest';
import { checkFinalSize, checkReceivedSize, putSizeLimits } from './size-limits.ts';

describe('put size limits', () => {
  it('refuses sizes that are not byte counts, naming the option', () => {
    expect(() => putSizeLimits('k', { size: -1 })).toThrow(/^size must be a non-negative integer/u);
    expect(() => putSizeLimits('k', { size: -1 })).toThrow(expect.objectContaining({ code: 'InvalidArgument' }));
    expect(() => putSizeLimits('k', { maxSize: 1.5 })).toThrow(/^maxSize must be a non-negative integer/u);
  });

  it('refuses an announced size over the limit before any byte is read', () => {
    expect(() => putSizeLimits('k', { size: 11, maxSize: 10 })).toThrow(
      expect.objectContaining({ code: 'TooLarge', key: 'k' }),
    );
    expect(putSizeLimits('k', { size: 10, maxSize: 10 })).toEqual({ key: 'k', expected: 10, max: 10 });
  });

  it('stops a body as soon as it passes the limit or the announced size', () => {
    const limited = putSizeLimits('k', { maxSize: 4 });
    checkReceivedSize(limited, 4);
    expect(() => {
      checkReceivedSize(limited, 5);
    }).toThrow(expect.objectContaining({ code: 'TooLarge' }));
    const announced = putSizeLimits('k', { size: 4 });
    expect(() => {
      checkReceivedSize(announced, 5);
    }).toThrow(expect.objectContaining({ code: 'IntegrityError' }));
  });

  it('refuses a finished body shorter than announced, and accepts any length when none was', () => {
    expect(() => {
      checkFinalSize(putSizeLimits('k', { size: 4 }), 3);
    }).toThrow(expect.objectContaining({ code: 'IntegrityError' }));
    checkFinalSize(putSizeLimits('k', { size: 4 }), 4);
    checkFinalSize(putSizeLimits('k', {}), 123);
  });
});
