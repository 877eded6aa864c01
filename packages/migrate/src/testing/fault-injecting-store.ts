import { StorageError, bodyToStream } from '@stowage/core';
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
} from '@stowage/core';

/** The store operations a fault can be injected into. */
export type FaultOperation = 'put' | 'get' | 'head' | 'list' | 'delete' | 'deleteMany' | 'copy';

/** One call as the fault plan sees it. */
export interface FaultCall {
  readonly operation: FaultOperation;
  /** The key, for single-key operations; for `list`, the key of the next summary about to be yielded. */
  readonly key: string | undefined;
  /** How many calls of this operation on this key came before (0 for the first). */
  readonly previousCalls: number;
}

/** What goes wrong with one call. */
export interface Fault {
  readonly error: StorageError;
  /**
   * For `get` and `put`: let this many body bytes through before the body fails (a dropped connection mid-stream).
   * Absent: the call itself fails before any byte moves.
   */
  readonly afterBytes?: number | undefined;
}

/** Decides, call by call, whether to inject a fault; `undefined` lets the call through. */
export type FaultPlan = (call: FaultCall) => Fault | undefined;

/** An `Unavailable` error like a busy or unreachable service gives. */
export function unavailable(key?: string): StorageError {
  return new StorageError(
    'Unavailable',
    `injected fault: service unavailable${key === undefined ? '' : ` for ${key}`}`,
    { key },
  );
}

function failingAfter(
  body: ReadableStream<Uint8Array>,
  limit: number,
  error: StorageError,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let passed = 0;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (passed >= limit) {
          await reader.cancel(error);
          controller.error(error);
          return;
        }
        const next = await reader.read();
        if (next.done) {
          controller.close();
          return;
        }
        const allowed = next.value.subarray(0, limit - passed);
        passed += allowed.byteLength;
        controller.enqueue(allowed);
      },
      async cancel(reason) {
        await reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * Wraps a store and injects failures where a plan says so, to test retries and failure reports against a store that
 * otherwise behaves correctly. It also logs every mutating call, so a test can prove a store was only read.
 */
export class FaultInjectingStore implements ObjectStore {
  readonly name: string;
  /** Every `put`, `delete`, `deleteMany` and `copy` call, in order, as `operation key`. */
  readonly mutations: string[] = [];
  readonly #inner: ObjectStore;
  readonly #plan: FaultPlan;
  readonly #counts = new Map<string, number>();

  constructor(inner: ObjectStore, plan: FaultPlan = () => undefined) {
    this.#inner = inner;
    this.#plan = plan;
    this.name = inner.name;
  }

  #fault(operation: FaultOperation, key: string | undefined): Fault | undefined {
    const id = `${operation} ${key ?? ''}`;
    const previousCalls = this.#counts.get(id) ?? 0;
    this.#counts.set(id, previousCalls + 1);
    return this.#plan({ operation, key, previousCalls });
  }

  async put(key: string, body: Body, options?: PutOptions): Promise<ObjectInfo> {
    this.mutations.push(`put ${key}`);
    const fault = this.#fault('put', key);
    if (fault === undefined) return this.#inner.put(key, body, options);
    if (fault.afterBytes === undefined) throw fault.error;
    try {
      return await this.#inner.put(key, failingAfter(bodyToStream(body), fault.afterBytes, fault.error), options);
    } catch {
      throw fault.error;
    }
  }

  async get(key: string, options?: GetOptions): Promise<GetResult> {
    const fault = this.#fault('get', key);
    if (fault === undefined) return this.#inner.get(key, options);
    if (fault.afterBytes === undefined) throw fault.error;
    const result = await this.#inner.get(key, options);
    return { ...result, body: failingAfter(result.body, fault.afterBytes, fault.error) };
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const fault = this.#fault('head', key);
    if (fault !== undefined) throw fault.error;
    return this.#inner.head(key);
  }

  async delete(key: string): Promise<void> {
    this.mutations.push(`delete ${key}`);
    const fault = this.#fault('delete', key);
    if (fault !== undefined) throw fault.error;
    await this.#inner.delete(key);
  }

  async deleteMany(keys: Iterable<string>): Promise<void> {
    const all = Array.from(keys);
    this.mutations.push(`deleteMany ${all.join(',')}`);
    const fault = this.#fault('deleteMany', undefined);
    if (fault !== undefined) throw fault.error;
    await this.#inner.deleteMany(all);
  }

  async copy(fromKey: string, toKey: string): Promise<ObjectInfo> {
    this.mutations.push(`copy ${fromKey} ${toKey}`);
    const fault = this.#fault('copy', fromKey);
    if (fault !== undefined) throw fault.error;
    return this.#inner.copy(fromKey, toKey);
  }

  async *list(options?: ListOptions): AsyncGenerator<ObjectSummary, void, undefined> {
    for await (const summary of this.#inner.list(options)) {
      const fault = this.#fault('list', summary.key);
      if (fault !== undefined) throw fault.error;
      yield summary;
    }
  }

  signedUrl(key: string, options: SignedUrlOptions): Promise<string> {
    return this.#inner.signedUrl(key, options);
  }

  publicUrl(key: string): string {
    return this.#inner.publicUrl(key);
  }
}
