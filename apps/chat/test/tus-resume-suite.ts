import { createCipheriv, createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { Socket, createServer } from 'node:net';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import type { ObjectStore, PutOptions } from '@stowage/core';
import type { Body } from '@stowage/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseSqliteDriver } from '../src/sqlite-driver.ts';
import { ChatData } from '../src/chat-data.ts';
import { startChatServer } from '../src/chat-server.ts';
import type { RunningChatServer } from '../src/chat-server.ts';
import type { ChatStores } from '../src/chat-stores.ts';
import { ensureSchema } from '../src/schema.ts';
import { SEED_ACCOUNTS, seedDatabase } from '../src/seed.ts';
import { DEFAULT_SEGMENT_BYTES } from '../src/tus-object-store.ts';
import type { SqlDatabase } from '../src/sql-database.ts';
import { Client } from './chat-fixture.ts';
import { tusUpload } from './tus-client.ts';

const MIB = 1024 * 1024;
const FILE_BYTES = 200 * MIB;
/** Client-to-server bytes (headers included) after which the proxy cuts every connection. */
const CUTS = [13 * MIB + 12_345, 61 * MIB, 157 * MIB + 777];
/** After this many bytes the app server is stopped and a new one started over the same store and database. */
const RESTART_AT = 104 * MIB;

/** Writes `bytes` of AES-256-CTR keystream (deterministic: fixed key and IV) to `path`; resolves to its SHA-256. */
async function writeDeterministicFile(path: string, bytes: number): Promise<string> {
  const cipher = createCipheriv('aes-256-ctr', Buffer.alloc(32, 7), Buffer.alloc(16, 3));
  const hash = createHash('sha256');
  const out = createWriteStream(path);
  const zeros = Buffer.alloc(MIB);
  for (let written = 0; written < bytes; written += MIB) {
    const chunk = cipher.update(zeros.subarray(0, Math.min(MIB, bytes - written)));
    hash.update(chunk);
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return hash.digest('base64');
}

async function sha256Of(stream: ReadableStream<Uint8Array>): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk);
  return hash.digest('base64');
}

/** A TCP proxy in front of the app that cuts every connection when the bytes sent to the app pass a mark. */
class CuttingProxy {
  readonly server: Server;
  target = 0;
  forwarded = 0;
  cuts = 0;
  readonly #marks: number[];
  readonly #sockets = new Set<Socket>();
  #onMark: (forwarded: number) => void = () => undefined;

  constructor(marks: number[]) {
    this.#marks = [...marks].sort((a, b) => a - b);
    this.server = createServer((client) => {
      const upstream = new Socket();
      this.#sockets.add(client);
      this.#sockets.add(upstream);
      const drop = (): void => {
        client.destroy();
        upstream.destroy();
        this.#sockets.delete(client);
        this.#sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      upstream.connect(this.target, '127.0.0.1');
      client.on('data', (chunk: Buffer) => {
        this.forwarded += chunk.byteLength;
        if (!upstream.write(chunk)) client.pause();
        const mark = this.#marks[0];
        if (mark !== undefined && this.forwarded >= mark) {
          this.#marks.shift();
          this.cuts++;
          this.cutAll();
        }
        this.#onMark(this.forwarded);
      });
      upstream.on('drain', () => client.resume());
      upstream.on('data', (chunk: Buffer) => {
        client.write(chunk);
      });
    });
  }

  onBytes(listener: (forwarded: number) => void): void {
    this.#onMark = listener;
  }

  cutAll(): void {
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('the proxy has no port');
    return address.port;
  }

  async close(): Promise<void> {
    this.cutAll();
    await new Promise<void>((resolve) => {
      this.server.close(() => {
        resolve();
      });
    });
  }
}

/** Records the largest body the tus store hands to `put` for a segment (a Uint8Array: one segment in memory). */
function measuringStore(store: ObjectStore, seen: { largest: number; streamed: number }): ObjectStore {
  return new Proxy(store, {
    get(target, property) {
      if (property !== 'put') {
        // The store's methods use its private fields: call them on the store itself.
        const value = Reflect.get(target, property, target) as unknown;
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      }
      return (key: string, body: Body, options?: PutOptions) => {
        if (key.includes('/parts/')) {
          if (body instanceof Uint8Array) seen.largest = Math.max(seen.largest, body.byteLength);
          else seen.streamed++;
        }
        return target.put(key, body, options);
      };
    },
  });
}

/**
 * A 200 MiB upload by tus-js-client from a file (reopened at the offset it resumes from), through a proxy that
 * cuts the connection at several offsets, with the app server replaced by a new one over the same store and
 * database in the middle. The stored attachment must have the source's SHA-256.
 */
export function describeTusResume(name: string, makeStores: (dir: string) => ChatStores | Promise<ChatStores>): void {
  describe(`a resumable 200 MiB upload survives cut connections and a restart (${name})`, () => {
    let dir: string;
    let db: SqlDatabase;
    let data: ChatData;
    let stores: ChatStores;
    let server: RunningChatServer | undefined;
    let proxy: CuttingProxy;
    let sourcePath: string;
    let sourceSha: string;
    const seen = { largest: 0, streamed: 0 };

    const start = async (): Promise<RunningChatServer> =>
      startChatServer({
        data,
        stores,
        maxFileUploadBytes: 256 * MIB,
        avatarSalt: 'test-salt',
        tus: { sweepIntervalMs: 0, store: measuringStore(stores.deployment?.uploads ?? stores.uploads, seen) },
        logError: (error) => {
          console.error(error);
        },
      });

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'stowage-tus-resume-'));
      sourcePath = join(dir, 'source.bin');
      sourceSha = await writeDeterministicFile(sourcePath, FILE_BYTES);
      db = (await chooseSqliteDriver()).open(':memory:');
      ensureSchema(db);
      data = new ChatData(db);
      await seedDatabase(data, Date.now());
      db.prepare('UPDATE realms SET quota_bytes = ?, user_quota_bytes = NULL WHERE id = 1').run(1024 * MIB);
      stores = await makeStores(dir);
      server = await start();
      proxy = new CuttingProxy(CUTS);
    }, 300_000);

    afterAll(async () => {
      await proxy.close();
      await server?.close();
      stores.close();
      db.close();
      await rm(dir, { recursive: true, force: true, maxRetries: 5 });
    });

    it('resumes after every cut and the restart, and stores exactly the source bytes', async () => {
      proxy.target = Number(new URL(server?.url ?? '').port);
      const base = `http://127.0.0.1:${await proxy.listen()}`;
      const account = SEED_ACCOUNTS.find((candidate) => candidate.email === 'hamlet@zulip.test');
      const client = new Client(base);
      client.csrfToken = (await client.json<{ csrfToken: string }>('GET', '/api/session')).body.csrfToken;
      client.csrfToken = (
        await client.json<{ csrfToken: string }>('POST', '/api/login', {
          body: { email: account?.email, password: account?.password },
        })
      ).body.csrfToken;

      let restarted: Promise<void> | undefined;
      proxy.onBytes((forwarded) => {
        if (forwarded < RESTART_AT || restarted !== undefined) return;
        // A new process's worth of state: a new app, tus server and locker over the same store and database.
        restarted = (async () => {
          const old = server;
          server = undefined;
          await old?.close();
          server = await start();
          proxy.target = Number(new URL(server.url).port);
        })();
      });
      const resumedAt: number[] = [];
      const { done } = tusUpload(createReadStream(sourcePath), `${base}/api/v1/tus`, client, {
        metadata: { filename: 'big.bin', filetype: 'application/octet-stream' },
        retryDelays: [0, 500, 1000, 2000, 3000, 5000, 5000, 5000, 5000, 5000],
        onAfterResponse: (request, response) => {
          if (request.getMethod() === 'HEAD') resumedAt.push(Number(response.getHeader('upload-offset')));
        },
      });
      const finished = await done;
      await restarted;

      expect(proxy.cuts).toBe(CUTS.length);
      expect(restarted).toBeDefined();
      // Each resumption asked where to go on and went on from there, past the start.
      expect(resumedAt.length).toBeGreaterThanOrEqual(CUTS.length + 1);
      expect(resumedAt.filter((offset) => offset > 0).length).toBeGreaterThanOrEqual(CUTS.length);
      // The bytes sent in all sum to little more than the file: nothing was sent twice beyond a cut segment.
      expect(proxy.forwarded).toBeLessThan(FILE_BYTES + (CUTS.length + 1) * DEFAULT_SEGMENT_BYTES + MIB);
      // One segment at most in memory per upload: every part was stored from one bounded buffer.
      expect(seen.largest).toBeLessThanOrEqual(DEFAULT_SEGMENT_BYTES);
      expect(seen.largest).toBeGreaterThan(0);
      expect(seen.streamed).toBe(0);

      const key = decodeURIComponent(finished.url.slice('/user_uploads/'.length));
      // The store itself, not the app's read cache (which would fill slices in the background).
      const origin = stores.deployment?.uploads ?? stores.uploads;
      const stored = await origin.get(key);
      expect(stored.size).toBe(FILE_BYTES);
      expect(await sha256Of(stored.body)).toBe(sourceSha);
      expect((await origin.head(key))?.sha256).toBe(sourceSha);
      const row = data
        .attachmentsOfOwner(data.userWithPassword('hamlet@zulip.test')?.user.id ?? 0)
        .find((attachment) => attachment.key === key);
      expect(row?.size).toBe(FILE_BYTES);
      const leftovers: string[] = [];
      for await (const object of origin.list({ prefix: 'tus/' })) leftovers.push(object.key);
      expect(leftovers).toEqual([]);
    }, 900_000);
  });
}
