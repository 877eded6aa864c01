import type { S3Client } from '@aws-sdk/client-s3';
import { StandardRetryStrategy } from '@smithy/core/retry';
import type { RetryStrategyV2 } from '@smithy/types';
import { abortedError } from '@stowage/core';
import type { StorageError } from '@stowage/core';
import { withRetries } from './retry.ts';
import type { RetryListener } from './retry.ts';
import { toStorageError } from './s3-error.ts';

/** What a request is for: named in every error message. */
export interface RequestContext {
  readonly operation: string;
  readonly key?: string | undefined;
  /** Set for a create-only put, where a failed precondition means the key is taken. */
  readonly createOnly?: boolean | undefined;
  readonly attempts?: number | undefined;
}

export interface S3RequestsOptions {
  readonly client: S3Client | (() => S3Client);
  readonly name: string;
  readonly endpoint: string;
  readonly retryStrategy?: RetryStrategyV2 | undefined;
  readonly onRetry?: RetryListener | undefined;
  readonly retryDeadlineMs: number;
}

/** `S3Client.send` seen without its per-command generics, so one helper can send any command. */
type AnySend = (command: object, options: { readonly abortSignal?: AbortSignal | undefined }) => Promise<unknown>;

/** The output type of an SDK command instance. */
export type CommandOutput<C> = C extends { resolveMiddleware: (...args: never[]) => infer H }
  ? H extends (...args: never[]) => Promise<{ output: infer O }>
    ? O
    : never
  : never;

/**
 * The one way a store talks to S3: `client.send`, under the SDK's retry strategy, with the final failure mapped to a
 * `StorageError` by `toStorageError`. The strategy runs here rather than in the client's middleware so mocked and
 * real clients retry alike (a mocked `send` skips all middleware); a client built by `createS3Client` therefore
 * has `maxAttempts: 1`, keeping a single retry layer.
 */
export class S3Requests {
  readonly name: string;
  readonly endpoint: string;
  #client: S3Client | (() => S3Client);
  readonly #retryStrategy: RetryStrategyV2;
  readonly #onRetry: RetryListener | undefined;
  readonly #retryDeadlineMs: number;

  constructor(options: S3RequestsOptions) {
    this.#client = options.client;
    this.name = options.name;
    this.endpoint = options.endpoint;
    this.#retryStrategy = options.retryStrategy ?? new StandardRetryStrategy(3);
    this.#onRetry = options.onRetry;
    this.#retryDeadlineMs = options.retryDeadlineMs;
  }

  /** The client, made on first use when the store was given a function. */
  get client(): S3Client {
    if (typeof this.#client === 'function') this.#client = this.#client();
    return this.#client;
  }

  /** Whether the client was ever made (so there is something to destroy). */
  get clientMade(): boolean {
    return typeof this.#client !== 'function';
  }

  /** Sends a command made afresh for each attempt, retried and mapped. */
  async send<C extends object>(
    context: RequestContext,
    makeCommand: () => C,
    signal: AbortSignal | undefined,
  ): Promise<CommandOutput<C>> {
    return (await this.sendCommand(context, makeCommand(), signal)) as CommandOutput<C>;
  }

  /** Sends one command (any), retried and mapped. `signal` is left out for requests that must go out even when aborted. */
  async sendCommand(context: RequestContext, command: object, signal: AbortSignal | undefined): Promise<unknown> {
    const client = this.client as unknown as { send: AnySend };
    const operation = `${context.operation}:${command.constructor.name}`;
    let attempts = 0;
    try {
      return await withRetries(
        this.#retryStrategy,
        operation,
        () => {
          attempts++;
          // Each attempt listens on a signal of its own: the SDK adds an abort listener per request, and requests
          // sharing a signal by the dozen (a multipart upload's parts) would pile listeners on it.
          return client.send(command, { abortSignal: signal === undefined ? undefined : AbortSignal.any([signal]) });
        },
        { signal, onRetry: this.#onRetry, deadlineMs: this.#retryDeadlineMs },
      );
    } catch (error) {
      if (signal?.aborted === true) throw abortedError(context.key, signal.reason);
      // The error says the retry layer ran, so no caller stacks another on it.
      throw this.error(error, { ...context, attempts });
    }
  }

  /** The `StorageError` for a failure of this store. */
  error(error: unknown, context: RequestContext): StorageError {
    return toStorageError(error, { ...context, store: this.name, endpoint: this.endpoint });
  }

  destroy(): void {
    if (typeof this.#client !== 'function') this.#client.destroy();
  }
}
