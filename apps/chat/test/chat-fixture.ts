import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore } from '@stowage/core';
import { S3Store } from '@stowage/s3';
import { FakeS3, instantRetries } from '@stowage/s3/testing';
import { ChatData } from '../src/chat-data.ts';
import type { ChatStores } from '../src/chat-stores.ts';
import { startChatServer } from '../src/chat-server.ts';
import type { RunningChatServer } from '../src/chat-server.ts';
import type { TusSettings } from '../src/tus-uploads.ts';
import { localChatStores, s3ChatStores } from '../src/open-chat-stores.ts';
import { ensureSchema } from '../src/schema.ts';
import { SEED_ACCOUNTS, seedDatabase } from '../src/seed.ts';
import { chooseSqliteDriver } from '../src/sqlite-driver.ts';

export const SIGNING_SECRET = 'test-signing-secret-of-at-least-32-bytes!';

export interface TestChat {
  readonly server: RunningChatServer;
  readonly url: string;
  readonly stores: ChatStores;
  readonly data: ChatData;
  /** Moves the server's clock forward (signed links, cleanup). */
  advance(milliseconds: number): void;
  login(email: string): Promise<Client>;
  anonymous(): Client;
  close(): Promise<void>;
}

export interface RequestOptions {
  readonly body?: string | Uint8Array | ReadableStream<Uint8Array> | Record<string, unknown> | undefined;
  readonly headers?: Record<string, string> | undefined;
  /** Leave out the CSRF header (to prove the check). */
  readonly noCsrf?: boolean | undefined;
}

/** A user agent with a cookie jar of its own: the session and CSRF cookies. */
export class Client {
  readonly #base: string;
  readonly cookies = new Map<string, string>();
  csrfToken: string | undefined;

  constructor(base: string) {
    this.#base = base;
  }

  async request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { ...options.headers };
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    if (this.csrfToken !== undefined && options.noCsrf !== true && method !== 'GET' && method !== 'HEAD')
      headers['x-csrf-token'] = this.csrfToken;
    let body: BodyInit | undefined;
    const given = options.body;
    if (typeof given === 'string' || given instanceof ReadableStream) {
      body = given;
    } else if (given instanceof Uint8Array) {
      body = given as Uint8Array<ArrayBuffer>;
    } else if (given !== undefined) {
      body = JSON.stringify(given);
      headers['content-type'] = 'application/json';
    }
    const init: RequestInit & { duplex?: 'half' } = { method, headers, body, redirect: 'manual' };
    if (body instanceof ReadableStream) init.duplex = 'half';
    const response = await fetch(`${this.#base}${path}`, init);
    for (const cookie of response.headers.getSetCookie()) {
      const [pair = ''] = cookie.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at);
      const value = pair.slice(at + 1);
      if (/Max-Age=0/u.test(cookie)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  // The caller names the shape it expects back; the tests then check it.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
  async json<T = Record<string, unknown>>(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<{ status: number; body: T }> {
    const response = await this.request(method, path, options);
    return { status: response.status, body: (await response.json()) as T };
  }

  /** Uploads bytes as a message attachment and returns the API's attachment object. */
  async upload(
    name: string,
    bytes: Uint8Array | string,
    contentType = 'application/octet-stream',
  ): Promise<UploadedAttachment> {
    const { status, body } = await this.json<UploadedAttachment>(
      'POST',
      `/api/uploads?name=${encodeURIComponent(name)}`,
      {
        body: bytes,
        headers: { 'content-type': contentType },
      },
    );
    if (status !== 201) throw new Error(`upload failed with ${status}: ${JSON.stringify(body)}`);
    return body;
  }

  async post(channelId: number, content: string): Promise<{ id: number; attachments: UploadedAttachment[] }> {
    const { status, body } = await this.json<{ id: number; attachments: UploadedAttachment[] }>(
      'POST',
      `/api/channels/${channelId}/messages`,
      { body: { content } },
    );
    if (status !== 201) throw new Error(`post failed with ${status}: ${JSON.stringify(body)}`);
    return body;
  }

  async channelId(name: string): Promise<number> {
    const { body } = await this.json<{ channels: { id: number; name: string }[] }>('GET', '/api/channels');
    const channel = body.channels.find((candidate) => candidate.name === name);
    if (channel === undefined) throw new Error(`no visible channel ${name}`);
    return channel.id;
  }
}

export interface UploadedAttachment {
  readonly id: number;
  readonly name: string;
  readonly size: number;
  readonly contentType: string;
  readonly url: string;
  readonly thumbnailUrl: string | null;
}

export interface TestChatOptions {
  readonly stores?: (dir: string) => ChatStores;
  readonly maxFileUploadBytes?: number;
  /** Receives what the server logs as unexpected (default: dropped). */
  readonly logError?: (error: unknown) => void;
  readonly tus?: TusSettings;
}

/** A seeded chat server on 127.0.0.1 with a free port, over a fresh temporary directory. */
export async function startTestChat(options: TestChatOptions = {}): Promise<TestChat> {
  const dir = await mkdtemp(join(tmpdir(), 'stowage-chat-'));
  const db = (await chooseSqliteDriver()).open(':memory:');
  ensureSchema(db);
  const data = new ChatData(db);
  let offset = 0;
  const now = (): number => Date.now() + offset;
  await seedDatabase(data, now());
  const stores = options.stores?.(dir) ?? localChatStores(join(dir, 'uploads'), SIGNING_SECRET);
  const server = await startChatServer({
    data,
    stores,
    maxFileUploadBytes: options.maxFileUploadBytes ?? 1024 * 1024,
    avatarSalt: 'test-salt',
    now,
    logError: options.logError ?? (() => undefined),
    tus: options.tus,
  });
  const anonymous = (): Client => new Client(server.url);
  return {
    server,
    url: server.url,
    stores,
    data,
    advance(milliseconds) {
      offset += milliseconds;
    },
    anonymous,
    async login(email) {
      const account = SEED_ACCOUNTS.find((candidate) => candidate.email === email);
      if (account === undefined) throw new Error(`no seeded account ${email}`);
      const client = anonymous();
      const session = await client.json<{ csrfToken: string }>('GET', '/api/session');
      client.csrfToken = session.body.csrfToken;
      const { status, body } = await client.json<{ csrfToken: string }>('POST', '/api/login', {
        body: { email, password: account.password },
      });
      if (status !== 200) throw new Error(`login failed: ${status}`);
      client.csrfToken = body.csrfToken;
      return client;
    },
    async close() {
      await server.close();
      db.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export const FAKE_AVATARS_URL = 'https://chat-avatars.s3.test';

/** S3 mode over the in-memory S3 fake: uploads read through `withCache`, or redirected to presigned URLs. */
export function fakeS3ChatStores(redirectUploads = false): () => ChatStores {
  return () => {
    const fake = new FakeS3({ buckets: ['chat-uploads', 'chat-avatars'] });
    const uploads = new S3Store({ client: fake.client, bucket: 'chat-uploads', retryStrategy: instantRetries() });
    const avatars = new S3Store({
      client: fake.client,
      bucket: 'chat-avatars',
      publicUrlBase: FAKE_AVATARS_URL,
      retryStrategy: instantRetries(),
    });
    return s3ChatStores(uploads, avatars, { cacheTier: new MemoryStore(), redirectUploads });
  };
}
