import type { Readable } from 'node:stream';
import { isStorageError } from '@stowage/core';
import type { ObjectStore } from '@stowage/core';
import { DataStore, ERRORS, Upload } from '@tus/utils';

/** Bytes held in memory per PATCH before they are stored as one segment object. */
export const DEFAULT_SEGMENT_BYTES: number = 8 * 1024 * 1024;
/** Zulip's tusd default: a partial upload untouched for a day is abandoned. */
export const DEFAULT_TUS_EXPIRATION_MS: number = 24 * 60 * 60 * 1000;
/** Where partial uploads live in the uploads store: outside `{realm}/` and `thumbnail/`, so nothing serves them. */
export const DEFAULT_TUS_PREFIX = 'tus/';

export interface ObjectStoreTusStoreOptions {
  readonly store: ObjectStore;
  /** Key prefix of partial uploads, ending with `/`. */
  readonly prefix?: string | undefined;
  /** Largest segment object (and so the most bytes of one upload in memory). */
  readonly segmentBytes?: number | undefined;
  /** How long after its creation a partial upload expires; 0: never. */
  readonly expirationMs?: number | undefined;
  /** Milliseconds since the epoch; injectable so tests can move time. */
  readonly now?: (() => number) | undefined;
}

interface StoredInfo {
  readonly id: string;
  readonly size: number;
  readonly metadata: Record<string, string | null>;
  readonly creationDate: string;
}

/**
 * A refusal `@tus/server` answers with its status and plain-text body (it reads `status_code` and `body` from what
 * a store or hook throws).
 */
export class TusError extends Error {
  override readonly name = 'TusError';
  readonly status_code: number;
  readonly body: string;

  constructor(status: number, body: string) {
    super(body.trim());
    this.status_code = status;
    this.body = body.endsWith('\n') ? body : `${body}\n`;
  }

  /** One of `@tus/utils`' `ERRORS`, as an error object. */
  static of(known: { readonly status_code: number; readonly body: string }): TusError {
    return new TusError(known.status_code, known.body);
  }

  static isNotFound(error: unknown): boolean {
    return error instanceof TusError && error.status_code === 404;
  }
}

const SEGMENT_NAME_DIGITS = 16;

/**
 * A tus `DataStore` over an `ObjectStore`, so partial uploads live where the files do (a directory or a bucket) and
 * any app node over the same store can resume them. An upload is `{prefix}{id}/info.json` (its length, metadata and
 * creation time) plus segment objects `{prefix}{id}/parts/{offset}`: each PATCH body is cut into segments of at
 * most `segmentBytes`, each stored with one `put` (all or nothing), and what arrived before a connection was cut is
 * stored too. The upload's offset is the sum of its contiguous segments, read back from the store's listing.
 * The upload length must be declared at creation (no `creation-defer-length`).
 */
export class ObjectStoreTusStore extends DataStore {
  readonly store: ObjectStore;
  readonly prefix: string;
  readonly segmentBytes: number;
  readonly #expirationMs: number;
  readonly #now: () => number;
  /** Writes still storing what arrived, by upload: `@tus/server` may release its lock before they end. */
  readonly #writing = new Map<string, Promise<number>>();

  constructor(options: ObjectStoreTusStoreOptions) {
    super();
    this.store = options.store;
    this.prefix = options.prefix ?? DEFAULT_TUS_PREFIX;
    this.segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    this.#expirationMs = options.expirationMs ?? DEFAULT_TUS_EXPIRATION_MS;
    this.#now = options.now ?? Date.now;
    if (!this.prefix.endsWith('/'))
      throw new TypeError(`the tus key prefix must end with "/", not ${JSON.stringify(this.prefix)}`);
    if (!Number.isSafeInteger(this.segmentBytes) || this.segmentBytes < 1)
      throw new TypeError('segmentBytes must be a positive whole number');
    this.extensions = ['creation', 'creation-with-upload', 'termination', 'expiration'];
  }

  #infoKey(id: string): string {
    return `${this.prefix}${id}/info.json`;
  }

  #partsPrefix(id: string): string {
    return `${this.prefix}${id}/parts/`;
  }

  #partKey(id: string, offset: number): string {
    return `${this.#partsPrefix(id)}${String(offset).padStart(SEGMENT_NAME_DIGITS, '0')}`;
  }

  /** Ids are the server's random hex names; anything else cannot name an upload. */
  #checkId(id: string): void {
    if (!/^[A-Za-z0-9_-]{1,128}$/u.test(id)) throw TusError.of(ERRORS.FILE_NOT_FOUND);
  }

  override async create(upload: Upload): Promise<Upload> {
    this.#checkId(upload.id);
    if (upload.size === undefined) throw TusError.of(ERRORS.UNSUPPORTED_CREATION_DEFER_LENGTH_EXTENSION);
    upload.creation_date = new Date(this.#now()).toISOString();
    const info: StoredInfo = {
      id: upload.id,
      size: upload.size,
      metadata: upload.metadata ?? {},
      creationDate: upload.creation_date,
    };
    await this.store.put(this.#infoKey(upload.id), JSON.stringify(info), {
      contentType: 'application/json',
      ifNoneMatch: '*',
    });
    upload.storage = { type: 'object-store', path: this.#infoKey(upload.id) };
    return upload;
  }

  async #info(id: string): Promise<StoredInfo> {
    this.#checkId(id);
    let text: string;
    try {
      text = await new Response((await this.store.get(this.#infoKey(id))).body).text();
    } catch (error) {
      if (isStorageError(error, 'NotFound')) throw TusError.of(ERRORS.FILE_NOT_FOUND);
      throw error;
    }
    return JSON.parse(text) as StoredInfo;
  }

  /** Bytes stored: the segments that follow each other from 0 (a segment past a gap cannot count). */
  async #storedOffset(id: string): Promise<number> {
    let offset = 0;
    for await (const part of this.store.list({ prefix: this.#partsPrefix(id) })) {
      if (part.key !== this.#partKey(id, offset)) break;
      offset += part.size;
    }
    return offset;
  }

  /** Waits for a write of this process to the upload that is still storing its last bytes. */
  async #settled(id: string): Promise<void> {
    await this.#writing.get(id)?.catch(() => undefined);
  }

  override async getUpload(id: string): Promise<Upload> {
    await this.#settled(id);
    const info = await this.#info(id);
    const offset = await this.#storedOffset(id);
    return new Upload({
      id,
      size: info.size,
      offset,
      metadata: info.metadata,
      creation_date: info.creationDate,
      storage: { type: 'object-store', path: this.#infoKey(id) },
    });
  }

  /**
   * Stores the body from `offset` in segments of at most `segmentBytes`. When the body ends early (the client's
   * connection was cut) or fails, the bytes that arrived are stored first, so the client resumes after them.
   * Refuses bytes beyond the upload's length.
   */
  override async write(stream: Readable, id: string, offset: number): Promise<number> {
    await this.#settled(id);
    // When the client's connection is cut, the server answers (and unlocks) as soon as the body fails, while this
    // write still stores what arrived: until it has, the upload's offset is not known, so others wait for it.
    const writing = this.#write(stream, id, offset);
    this.#writing.set(id, writing);
    try {
      return await writing;
    } finally {
      if (this.#writing.get(id) === writing) this.#writing.delete(id);
    }
  }

  async #write(stream: Readable, id: string, offset: number): Promise<number> {
    const info = await this.#info(id);
    const stored = await this.#storedOffset(id);
    if (stored !== offset) throw TusError.of(ERRORS.INVALID_OFFSET);
    const room = info.size - offset;
    let buffer = new Uint8Array(Math.min(this.segmentBytes, room));
    let filled = 0;
    let at = offset;
    const flush = async (): Promise<void> => {
      if (filled === 0) return;
      try {
        await this.store.put(this.#partKey(id, at), buffer.subarray(0, filled), {
          contentType: 'application/octet-stream',
          ifNoneMatch: '*',
        });
      } catch (error) {
        // Another server wrote this offset first (no lock spans servers): the client asks again where to go on.
        if (isStorageError(error, 'AlreadyExists')) throw TusError.of(ERRORS.INVALID_OFFSET);
        throw error;
      }
      at += filled;
      filled = 0;
      // A fresh buffer: a store may still hold the stored one. Never more than what the upload still lacks.
      buffer = new Uint8Array(Math.min(this.segmentBytes, info.size - at));
    };
    try {
      for await (const piece of stream) {
        const chunk = piece as Uint8Array;
        if (at + filled + chunk.byteLength > info.size) throw tooLong(info.size);
        let from = 0;
        while (from < chunk.byteLength) {
          const take = Math.min(buffer.byteLength - filled, chunk.byteLength - from);
          buffer.set(chunk.subarray(from, from + take), filled);
          filled += take;
          from += take;
          if (filled === buffer.byteLength) await flush();
        }
      }
    } catch (error) {
      // Keep what arrived in full chunks (a cut connection), then report the failure.
      await flush();
      throw error;
    }
    await flush();
    return at;
  }

  override async remove(id: string): Promise<void> {
    await this.#settled(id);
    await this.#info(id);
    await this.#removeKeys(id);
  }

  async #removeKeys(id: string): Promise<void> {
    const keys: string[] = [];
    for await (const part of this.store.list({ prefix: this.#partsPrefix(id) })) {
      keys.push(part.key);
      if (keys.length >= 1000) await this.store.deleteMany(keys.splice(0));
    }
    await this.store.deleteMany([...keys, this.#infoKey(id)]);
  }

  /** The stored bytes of a complete upload, segment after segment, read one at a time. */
  readSegments(id: string): ReadableStream<Uint8Array> {
    this.#checkId(id);
    const store = this.store;
    const prefix = this.#partsPrefix(id);
    const parts = store.list({ prefix })[Symbol.asyncIterator]();
    let current: ReadableStreamDefaultReader<Uint8Array> | undefined;
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        for (;;) {
          if (current === undefined) {
            const next = await parts.next();
            if (next.done === true) {
              controller.close();
              return;
            }
            current = (await store.get(next.value.key)).body.getReader();
          }
          const chunk = await current.read();
          if (chunk.done) {
            current = undefined;
            continue;
          }
          controller.enqueue(chunk.value);
          return;
        }
      },
      async cancel(reason) {
        await current?.cancel(reason);
        await parts.return?.();
      },
    });
  }

  /**
   * Removes partial uploads created longer than the expiration ago, and segments left without their info (an
   * interrupted removal); resolves to the number of uploads removed. Streams the listing: constant memory.
   */
  override async deleteExpired(): Promise<number> {
    if (this.#expirationMs <= 0) return 0;
    const cutoff = this.#now() - this.#expirationMs;
    let removed = 0;
    let id: string | undefined;
    let hasInfo = false;
    let lastModified = 0;
    const settle = async (): Promise<void> => {
      if (id === undefined) return;
      let expired = !hasInfo && lastModified < cutoff;
      if (hasInfo) {
        try {
          expired = Date.parse((await this.#info(id)).creationDate) < cutoff;
        } catch (error) {
          if (!TusError.isNotFound(error)) throw error;
        }
      }
      if (expired) {
        await this.#removeKeys(id);
        removed++;
      }
    };
    for await (const object of this.store.list({ prefix: this.prefix })) {
      const [objectId = '', ...rest] = object.key.slice(this.prefix.length).split('/');
      if (objectId !== id) {
        await settle();
        id = objectId;
        hasInfo = false;
        lastModified = 0;
      }
      if (rest.join('/') === 'info.json') hasInfo = true;
      lastModified = Math.max(lastModified, object.lastModified.getTime());
    }
    await settle();
    return removed;
  }

  override getExpiration(): number {
    return this.#expirationMs;
  }
}

function tooLong(size: number): TusError {
  return new TusError(413, `the upload is longer than its Upload-Length of ${size} bytes`);
}
