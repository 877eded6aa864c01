import { describe, expect, it } from 'vitest';
import { StorageError, abortedError, isStorageError, throwIfAborted } from './errors.ts';

describe('StorageError', () => {
  it('carries its code, key, message and native cause', () => {
    const cause = Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' });
    const error = new StorageError('NotFound', 'no object "a/b"', { key: 'a/b', cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('StorageError');
    expect(error.code).toBe('NotFound');
    expect(error.key).toBe('a/b');
    expect(error.message).toBe('no object "a/b"');
    expect(error.cause).toBe(cause);
    expect(String(error)).toBe('StorageError: no object "a/b"');
  });

  it('has no key or cause unless given', () => {
    const error = new StorageError('Unavailable', 'down');
    expect(error.key).toBeUndefined();
    expect('cause' in error).toBe(false);
  });
});

describe('isStorageError', () => {
  it('recognises StorageErrors, optionally of one code', () => {
    const error = new StorageError('TooLarge', 'too big');
    expect(isStorageError(error)).toBe(true);
    expect(isStorageError(error, 'TooLarge')).toBe(true);
    expect(isStorageError(error, 'NotFound')).toBe(false);
    expect(isStorageError(new Error('plain'))).toBe(false);
    expect(isStorageError({ name: 'StorageError', code: 'TooLarge' })).toBe(false);
    expect(isStorageError(undefined)).toBe(false);
  });
});

describe('abortedError and throwIfAborted', () => {
  it('makes an Aborted error naming the key and keeping the reason', () => {
    const reason = new Error('user left');
    const error = abortedError('k', reason);
    expect(error.code).toBe('Aborted');
    expect(error.key).toBe('k');
    expect(error.cause).toBe(reason);
    expect(error.message).toBe('operation on "k" aborted');
    expect(abortedError(undefined).message).toBe('operation aborted');
  });

  it('throws only once the signal has fired', () => {
    const controller = new AbortController();
    expect(() => {
      throwIfAborted(controller.signal, 'k');
    }).not.toThrow();
    expect(() => {
      throwIfAborted(undefined);
    }).not.toThrow();
    controller.abort(new Error('stop'));
    expect(() => {
      throwIfAborted(controller.signal, 'k');
    }).toThrow(expect.objectContaining({ code: 'Aborted', key: 'k' }) as Error);
  });
});
