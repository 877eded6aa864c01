import { bodyChunks } from './body.ts';
import { portableSha256, toBase64, toHex } from './checksum.ts';
import type { Sha256Factory } from './checksum.ts';
import { guessContentType } from './content-type.ts';
import { StorageError, abortedError, isStorageError, throwIfAborted, unlessAborted } from './errors.ts';
import { compareKeys } from './key-order.ts';
import { encodeKeyPath } from './key-url-path.ts';
import { validateKey, validatePrefix } from './keys.ts';
import type {
  Body,
  GetOptions,
  GetResult,
  ListOptions,
  ObjectInfo,
  ObjectStore,
  ObjectSummary,
  PutOptions,
  SignedUrlOptions,
} from './object-store.ts';
import { resolveRange } from './range.ts';
import { checkFinalSize, checkReceivedSize, putSizeLimits } from './size-limits.ts';

/** How a `MemoryStore` is set up; every field is optional. */
export interface MemoryStoreOptions {
  /** Shown in messages; defaults to `memory`. */
  readonly name?: string | undefined;
  /**
   * Makes the store public: `publicUrl(key)` returns this prefix followed by the key, each segment
   * percent-encoded. Without it `publicUrl` throws `Unsupported`.
   */
  readonly publicUrlPrefix?: string | undefined;
  /**
   * Makes `signedUrl` work by delegating to this function (after the key is validated); without it `signedUrl`
   * throws `Unsupported`, since memory has no server to verify a signature.
   */
  readonly signUrl?: ((key: string, options: SignedUrlOptions) => string | Promise<string>) | undefined;
  /** The SHA-256 used for `ObjectInfo.sha256` and `PutOptions.sha256`; defaults to the portable one. */
  readonly sha256?: Sha256Factory | undefined;
  /** Keys per internal listing page when the caller gives no `pageSize`; defaults to 1000, as S3. */
  readonly defaultPageSize?: number | undefined;
}

interface StoredObject {
  readonly info: ObjectInfo;
  readonly bytes: Uint8Array;
}

/** Bytes per chunk of a `get` body: large enough to be cheap, small enough to interleave with other work. */
const READ_CHUNK_BYTES = 64 * 1024;

/** Runs `work` and settles with its result, so a synchronous throw becomes a rejection as callers expect. */
function settle<T>(work: () => T | Promise<T>): Promise<T> {
  return new Promise<T>((resolve) => {
    resolve(work());
  });
}

function copyInfo(info: ObjectInfo): ObjectInfo {
  return { ...info, lastModified: new Date(info.lastModified.getTime()), metadata: { ...info.metadata } };
}

/**
 * An `ObjectStore` held in memory: a reference implementation of the contract, an origin or tier in tests, and a
 * scratch store. Uses only Web APIs, so it runs on every runtime. Puts are buffered until complete and then
 * swapped in at once, so readers never see a partial object; a `get` reads the version current when it opened.
 */
export class MemoryStore implements ObjectStore {
  readonly name: string;
  readonly #objects = new Map<string, StoredObject>();
  readonly #publicUrlPrefix: string | undefined;
  readonly #signUrl: MemoryStoreOptions['signUrl'];
  readonly #sha256: Sha256Factory;
  readonly #defaultPageSize: number;

  constructor(options: MemoryStoreOptions = {}) {
    this.name = options.name ?? 'memory';
    this.#publicUrlPrefix = options.publicUrlPrefix;
    this.#signUrl = options.signUrl;
    this.#sha256 = options.sha256 ?? portableSha256;
    this.#defaultPageSize = options.defaultPageSize ?? 1000;
  }

  /** Stores the body once it has been read completely and checked; see `ObjectStore.put`. */
  async put(key: string, body: Body, options: PutOptions = {}): Promise<ObjectInfo> {
    validateKey(key);
    const limits = putSizeLimits(key, options);
    const { signal } = options;
    throwIfAborted(signal, key);
    // Fail fast before reading a body that could not be stored anyway; checked again when committing.
    this.#refuseTakenKey(key, options);

    const hash = this.#sha256();
    const parts: Uint8Array[] = [];
    let size = 0;
    const chunks = bodyChunks(body);
    try {
      for (;;) {
        const step = await unlessAborted(chunks.next(), signal, key);
        if (step.done === true) break;
        const chunk = step.value;
        size += chunk.byteLength;
        checkReceivedSize(limits, size);
        hash.update(chunk);
        // Copied because the caller may reuse its buffer after handing it over.
        parts.push(chunk.slice());
      }
    } catch (error) {
      // Release the producer without waiting: a stalled stream must not hold up the rejection.
      chunks.return().catch(() => undefined);
      if (isStorageError(error)) throw error;
      throw new StorageError('Aborted', `the body of "${key}" failed while being read`, { key, cause: error });
    }
    throwIfAborted(signal, key);
    checkFinalSize(limits, size);
    const digest = hash.digest();
    const sha256 = toBase64(digest);
    if (options.sha256 !== undefined && options.sha256 !== sha256) {
      throw new StorageError('IntegrityError', `"${key}" has SHA-256 ${sha256}, not the expected ${options.sha256}`, {
        key,
      });
    }
    this.#refuseTakenKey(key, options);

    const bytes = new Uint8Array(size);
    let offset = 0;
    for (const part of parts) {
      bytes.set(part, offset);
      offset += part.byteLength;
    }
    const info: ObjectInfo = {
      key,
      size,
      contentType: options.contentType ?? guessContentType(key),
      lastModified: new Date(),
      etag: `"${toHex(digest.subarray(0, 16))}"`,
      sha256,
      contentDisposition: options.contentDisposition,
      cacheControl: options.cacheControl,
      metadata: { ...options.metadata },
    };
    this.#objects.set(key, { info, bytes });
    return copyInfo(info);
  }

  /** Streams the object, or the range of it, as stored when `get` was called; see `ObjectStore.get`. */
  get(key: string, options: GetOptions = {}): Promise<GetResult> {
    return settle(() => this.#open(key, options));
  }

  #open(key: string, options: GetOptions): GetResult {
    validateKey(key);
    const { signal } = options;
    throwIfAborted(signal, key);
    const stored = this.#objects.get(key);
    if (stored === undefined) throw new StorageError('NotFound', `no object "${key}" in ${this.name}`, { key });
    const range = options.range === undefined ? undefined : resolveRange(options.range, stored.info.size, key);
    const start = range?.start ?? 0;
    const end = range === undefined ? stored.bytes.byteLength : range.end + 1;
    let position = start;
    let onAbort: (() => void) | undefined;
    const stopListening = (): void => {
      if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
    };
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        if (signal === undefined) return;
        onAbort = () => {
          controller.error(abortedError(key, signal.reason));
        };
        signal.addEventListener('abort', onAbort, { once: true });
      },
      pull(controller) {
        if (position >= end) {
          stopListening();
          controller.close();
          return;
        }
        const next = Math.min(end, position + READ_CHUNK_BYTES);
        // A copy, so a reader that writes into its chunk cannot change the stored object.
        controller.enqueue(stored.bytes.slice(position, next));
        position = next;
      },
      cancel() {
        stopListening();
      },
    });
    return { ...copyInfo(stored.info), body, range };
  }

  /** See `ObjectStore.head`. */
  head(key: string): Promise<ObjectInfo | undefined> {
    return settle(() => {
      validateKey(key);
      const stored = this.#objects.get(key);
      return stored === undefined ? undefined : copyInfo(stored.info);
    });
  }

  /** See `ObjectStore.delete`. */
  delete(key: string): Promise<void> {
    return settle(() => {
      validateKey(key);
      this.#objects.delete(key);
    });
  }

  /** Validates every key, then deletes them all; see `ObjectStore.deleteMany`. */
  deleteMany(keys: Iterable<string>): Promise<void> {
    return settle(() => {
      const all = Array.from(keys);
      for (const key of all) validateKey(key);
      for (const key of all) this.#objects.delete(key);
    });
  }

  /** See `ObjectStore.copy`; the copy gets a new `lastModified`. */
  copy(fromKey: string, toKey: string): Promise<ObjectInfo> {
    return settle(() => {
      validateKey(fromKey);
      validateKey(toKey);
      const stored = this.#objects.get(fromKey);
      if (stored === undefined) {
        throw new StorageError('NotFound', `no object "${fromKey}" to copy in ${this.name}`, { key: fromKey });
      }
      const info: ObjectInfo = { ...copyInfo(stored.info), key: toKey, lastModified: new Date() };
      // Stored bytes are never written after a put, so both keys may share them.
      this.#objects.set(toKey, { info, bytes: stored.bytes });
      return copyInfo(info);
    });
  }

  /** Pages through the keys in UTF-8 byte order, re-reading the map per page; see `ObjectStore.list`. */
  async *list(options: ListOptions = {}): AsyncGenerator<ObjectSummary, void, undefined> {
    const prefix = validatePrefix(options.prefix ?? '');
    const pageSize = options.pageSize ?? this.#defaultPageSize;
    if (!Number.isSafeInteger(pageSize) || pageSize < 1) {
      throw new StorageError('InvalidArgument', `pageSize must be a positive integer, not ${pageSize}`);
    }
    let cursor = options.startAfter;
    for (;;) {
      throwIfAborted(options.signal);
      const page = this.#page(prefix, cursor, pageSize);
      for (const summary of page) yield summary;
      const last = page.at(-1);
      if (page.length < pageSize || last === undefined) return;
      cursor = last.key;
      // Yield to the event loop between pages, as a remote store would.
      await Promise.resolve();
    }
  }

  /** Delegates to the configured `signUrl`; throws `Unsupported` without one. */
  signedUrl(key: string, options: SignedUrlOptions): Promise<string> {
    return settle(() => {
      validateKey(key);
      if (this.#signUrl === undefined) {
        throw new StorageError('Unsupported', `${this.name} cannot sign URLs (no signUrl configured)`, { key });
      }
      return this.#signUrl(key, options);
    });
  }

  /** The configured prefix plus the percent-encoded key; throws `Unsupported` without a prefix. */
  publicUrl(key: string): string {
    validateKey(key);
    if (this.#publicUrlPrefix === undefined) {
      throw new StorageError('Unsupported', `${this.name} is not public (no publicUrlPrefix configured)`, { key });
    }
    return `${this.#publicUrlPrefix.replace(/\/+$/u, '')}/${encodeKeyPath(key)}`;
  }

  #refuseTakenKey(key: string, options: PutOptions): void {
    if (options.ifNoneMatch === '*' && this.#objects.has(key)) {
      throw new StorageError('AlreadyExists', `"${key}" already exists in ${this.name}`, { key });
    }
  }

  #page(prefix: string, after: string | undefined, pageSize: number): ObjectSummary[] {
    const keys: string[] = [];
    for (const key of this.#objects.keys()) {
      if (key.startsWith(prefix) && (after === undefined || compareKeys(key, after) > 0)) keys.push(key);
    }
    keys.sort(compareKeys);
    const page: ObjectSummary[] = [];
    for (const key of keys.slice(0, pageSize)) {
      const stored = this.#objects.get(key);
      if (stored === undefined) continue;
      const { size, lastModified, etag } = stored.info;
      page.push({ key, size, lastModified: new Date(lastModified.getTime()), etag });
    }
    return page;
  }
}
