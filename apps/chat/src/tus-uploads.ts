import type { Readable } from 'node:stream';
import { encodeKeyPath, isStorageError, sanitizeFilename } from '@stowage/core';
import type { ObjectStore } from '@stowage/core';
import { Server } from '@tus/server';
import { ERRORS, Upload } from '@tus/utils';
import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import { auth } from 'hono/utils/basic-auth';
import { ApiError } from './api-error.ts';
import type { ChatApp } from './chat-app.ts';
import type { ChatData, TusUploadRecord, UserRecord } from './chat-data.ts';
import { storedContentType } from './safe-content-type.ts';
import { SESSION_COOKIE } from './sessions.ts';
import { attachmentKey } from './upload-keys.ts';
import { fileTooLarge, quotaClaims, quotaRefusal, withThumbnail } from './upload-routes.ts';
import { DEFAULT_TUS_EXPIRATION_MS, ObjectStoreTusStore, TusError } from './tus-object-store.ts';

/** Zulip 10's tus endpoint. */
export const TUS_PATH = '/api/v1/tus';
/** How often the server removes expired partial uploads by default. */
export const DEFAULT_TUS_SWEEP_MS: number = 60 * 60 * 1000;

export interface TusSettings {
  /** How long after creation an incomplete upload expires (and a complete one stops answering HEAD). */
  readonly expirationMs?: number | undefined;
  /** Largest segment of a partial upload, and so of one upload's bytes in memory. */
  readonly segmentBytes?: number | undefined;
  /** How often expired uploads are removed while the server runs; 0: only by the cleanup command. */
  readonly sweepIntervalMs?: number | undefined;
  /** Where partial uploads live (default: the uploads store as the settings opened it, without read cache). */
  readonly store?: ObjectStore | undefined;
}

/** What the client learns when its upload completes: Zulip's answer to tusd's pre-finish hook. */
interface Finished {
  readonly url: string;
  readonly filename: string;
}

function refusal(status: number, message: string): TusError {
  return new TusError(status, message);
}

const UPLOAD_TAKEN_OVER = 'another request for this upload took it over: ask for its offset and go on from there';

const FAILURE_TEXT: Readonly<Record<number, string>> = {
  503: 'the file store is unavailable right now; try again later',
  507: 'the file store is full; an administrator has to free space',
};

/** Removed by an expiry sweep. */
export interface TusSweepReport {
  /** Incomplete uploads whose record expired (their stored parts removed with them). */
  readonly expired: number;
  /** Partial uploads found in the store past their expiry without a record (another node's, or a crash's). */
  readonly leftovers: number;
}

/**
 * Resumable uploads over tus 1.0 (core, creation, termination, expiration) at `/api/v1/tus`, served by
 * `@tus/server`'s `handleWeb` under the app's authentication. The length is declared at creation and reserved
 * against the size limit and the quotas there (a record in the database, so the reservation survives restarts);
 * bytes go to the uploads store in segments (`ObjectStoreTusStore`); the completing request stores them as a new
 * attachment and answers Zulip's `{"url", "filename"}`.
 */
export class ChatTusUploads {
  readonly dataStore: ChatTusStore;
  readonly server: Server;
  readonly #app: ChatApp;
  readonly #users = new WeakMap<Request, UserRecord>();
  readonly #timer: ReturnType<typeof setInterval> | undefined;

  constructor(app: ChatApp, settings: TusSettings = {}) {
    this.#app = app;
    this.dataStore = new ChatTusStore(app, {
      store: settings.store ?? app.stores.deployment?.uploads ?? app.stores.uploads,
      segmentBytes: settings.segmentBytes,
      expirationMs: settings.expirationMs ?? DEFAULT_TUS_EXPIRATION_MS,
      // @tus/server checks Upload-Expires against the real clock, so the stored creation time must be real time,
      // not the app's (injectable) clock: with a clock set elsewhere every PATCH was refused 410 Gone.
      now: Date.now,
    });
    this.server = new Server({
      path: TUS_PATH,
      datastore: this.dataStore,
      relativeLocation: true,
      maxSize: app.maxFileUploadBytes,
      // Same origin only: no CORS answer for other sites.
      allowedOrigins: [],
      disableTerminationForFinishedUploads: true,
      onIncomingRequest: (request, id) => {
        if (request.method !== 'POST') this.#ownUpload(request, id);
        return Promise.resolve();
      },
      onUploadCreate: (request, upload) => {
        this.#reserve(request, upload);
        return Promise.resolve({});
      },
      onUploadFinish: async (_request, upload) => {
        const finished = await this.dataStore.finish(upload.id);
        return { status_code: 200, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(finished) };
      },
      onResponseError: (_request, error) => {
        if (error === ERRORS.ERR_MAX_SIZE_EXCEEDED) return refusal(413, fileTooLarge(app.maxFileUploadBytes).message);
        // @tus/server aborts a request whose upload another request asked for (as a rule the same client, resuming
        // after a cut connection) with a 400, which ends the upload in tus clients; 423 Locked, as tusd answers a
        // locked upload, makes them ask for the offset again and go on.
        if (error === ERRORS.ABORTED) return refusal(423, UPLOAD_TAKEN_OVER);
        if ('status_code' in error)
          return error instanceof TusError ? { status_code: error.status_code, body: error.body } : undefined;
        const answer = app.failure(error);
        return refusal(
          answer.status,
          FAILURE_TEXT[answer.status] ?? 'the server failed to complete the request; please try again',
        );
      },
    });
    const every = settings.sweepIntervalMs ?? DEFAULT_TUS_SWEEP_MS;
    if (every > 0) {
      this.#timer = setInterval(() => {
        this.sweep().catch((error: unknown) => {
          app.logError(error);
        });
      }, every);
      // A Node timer must not keep a stopping process alive; Deno's numeric timers have no such method.
      (this.#timer as { unref?: () => void }).unref?.();
    }
  }

  /** Answers a tus request once its sender is known: API key (HTTP Basic) or session cookie with CSRF token. */
  async handle(c: Context): Promise<Response> {
    const method = c.req.method;
    if (method === 'GET')
      throw new ApiError(
        405,
        'MethodNotAllowed',
        'a partial upload cannot be read; use the file URL the completed upload answers',
      );
    if (method !== 'OPTIONS') this.#users.set(c.req.raw, this.#authenticate(c));
    if (method === 'POST' && c.req.header('upload-defer-length') !== undefined) {
      return new Response('Upload-Defer-Length is not supported: send Upload-Length with the file size\n', {
        status: 411,
        headers: { 'tus-resumable': '1.0.0' },
      });
    }
    this.#app.runtime.continueBody(c);
    return this.server.handleWeb(c.req.raw);
  }

  #authenticate(c: Context): UserRecord {
    const app = this.#app;
    if (c.req.header('authorization') !== undefined) {
      const credentials = auth(c.req.raw);
      const user =
        credentials === undefined ? undefined : app.data.userWithApiKey(credentials.username, credentials.password);
      if (user === undefined)
        throw new ApiError(
          401,
          'InvalidCredentials',
          'invalid API key: send HTTP Basic auth with your email and API key',
        );
      return user;
    }
    if (getCookie(c, SESSION_COOKIE) === undefined)
      throw new ApiError(401, 'Unauthenticated', 'log in first, or send HTTP Basic auth with your email and API key');
    return c.req.method === 'HEAD' ? app.requireSession(c).user : app.requireWrite(c).user;
  }

  #userOf(request: Request): UserRecord {
    const user = this.#users.get(request);
    if (user === undefined) throw refusal(401, 'authentication is required');
    return user;
  }

  /** Only the creator may see, continue or terminate an upload; others learn nothing (404). */
  #ownUpload(request: Request, id: string): TusUploadRecord {
    const user = this.#userOf(request);
    const record = this.#app.data.tusUpload(id);
    if (record?.ownerId !== user.id) throw TusError.of(ERRORS.FILE_NOT_FOUND);
    return record;
  }

  /** Refuses an upload over the size limit or a quota, else records it, holding its whole length against both. */
  #reserve(request: Request, upload: Upload): void {
    const app = this.#app;
    const user = this.#userOf(request);
    const realm = app.data.realm(user.realmId);
    if (realm === undefined) throw TusError.of(ERRORS.FILE_NOT_FOUND);
    const size = upload.size;
    if (size === undefined)
      throw refusal(411, 'Upload-Defer-Length is not supported: send Upload-Length with the file size');
    if (size > app.maxFileUploadBytes) throw refusal(413, fileTooLarge(app.maxFileUploadBytes).message);
    const name = sanitizeFilename(upload.metadata?.filename ?? '');
    const contentType = storedContentType(upload.metadata?.filetype ?? undefined, name);
    const claims = quotaClaims(app, realm, user);
    const refused = app.pendingUploads.tryReserve(claims, size);
    if (refused !== undefined) throw refusal(413, quotaRefusal(app, refused, size).message);
    // The record takes over the reservation: from now on the quotas count it through the database.
    try {
      app.data.createTusUpload({
        id: upload.id,
        realmId: realm.id,
        ownerId: user.id,
        size,
        name,
        contentType,
        createdAt: app.now(),
      });
    } finally {
      app.pendingUploads.release(claims, size);
    }
  }

  /** Removes expired uploads: those the database knows, then partial uploads in the store nobody recorded. */
  sweep(): Promise<TusSweepReport> {
    return expireTusUploads(this.#app.data, this.dataStore, this.#app.now());
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
  }
}

/**
 * Removes the uploads created longer than `store`'s expiration before `now`: incomplete ones with their stored
 * parts, complete ones' records (which only answered `HEAD`); then partial uploads in the store that no record
 * names (another database's, or left by a crash) once they are as old. Used by the server's hourly sweep and by
 * `npm run cleanup`.
 */
export async function expireTusUploads(
  data: ChatData,
  store: ObjectStoreTusStore,
  now: number,
): Promise<TusSweepReport> {
  const expiration = store.getExpiration();
  let expired = 0;
  if (expiration > 0) {
    const cutoff = now - expiration;
    for (
      let ids = data.tusUploadsCreatedBefore(cutoff, 100);
      ids.length > 0;
      ids = data.tusUploadsCreatedBefore(cutoff, 100)
    ) {
      for (const id of ids) {
        if (data.tusUpload(id)?.completed !== true) {
          expired++;
          try {
            await store.remove(id);
          } catch (error) {
            if (!TusError.isNotFound(error)) throw error;
          }
        }
        data.deleteTusUpload(id);
      }
    }
  }
  return { expired, leftovers: await store.deleteExpired() };
}

/**
 * The segment store bound to the chat's records: creation undone when the store refuses it, removal drops the
 * record, and a complete upload answers for its attachment (HEAD reports it whole, with its URL in the metadata).
 */
export class ChatTusStore extends ObjectStoreTusStore {
  readonly #app: ChatApp;
  readonly #finishing = new Map<string, Promise<Finished>>();

  constructor(app: ChatApp, options: ConstructorParameters<typeof ObjectStoreTusStore>[0]) {
    super(options);
    this.#app = app;
  }

  override async create(upload: Upload): Promise<Upload> {
    try {
      return await super.create(upload);
    } catch (error) {
      this.#app.data.deleteTusUpload(upload.id);
      throw error;
    }
  }

  override async getUpload(id: string): Promise<Upload> {
    const record = this.#app.data.tusUpload(id);
    if (record === undefined) throw TusError.of(ERRORS.FILE_NOT_FOUND);
    if (record.completed) return this.#whole(record, await this.finish(id));
    const upload = await super.getUpload(id);
    // Every byte stored but the attachment not made (the finishing request failed): make it now, so the client
    // that resumes learns the URL instead of a length it cannot use.
    if (upload.offset === upload.size) return this.#whole(record, await this.finish(id));
    return upload;
  }

  #whole(record: TusUploadRecord, finished: Finished): Upload {
    return new Upload({
      id: record.id,
      size: record.size,
      offset: record.size,
      creation_date: new Date(record.createdAt).toISOString(),
      metadata: { filename: finished.filename, filetype: record.contentType, url: finished.url },
    });
  }

  override async write(stream: Readable, id: string, offset: number): Promise<number> {
    const record = this.#app.data.tusUpload(id);
    if (record === undefined) throw TusError.of(ERRORS.FILE_NOT_FOUND);
    // A complete upload takes no more bytes (the server's limit lets none through); its finish is answered again.
    if (record.completed) return record.size;
    return super.write(stream, id, offset);
  }

  override async remove(id: string): Promise<void> {
    try {
      await super.remove(id);
    } catch (error) {
      if (!TusError.isNotFound(error)) throw error;
    }
    this.#app.data.deleteTusUpload(id);
  }

  /**
   * Stores the upload's segments, in order, as one new attachment (the normal upload's key layout; the store
   * records its SHA-256), records it, then drops the segments. Runs once per upload however often it is asked.
   */
  finish(id: string): Promise<Finished> {
    const running = this.#finishing.get(id);
    if (running !== undefined) return running;
    const work = this.#finish(id).finally(() => this.#finishing.delete(id));
    this.#finishing.set(id, work);
    return work;
  }

  async #finish(id: string): Promise<Finished> {
    const app = this.#app;
    const record = app.data.tusUpload(id);
    if (record === undefined) throw TusError.of(ERRORS.FILE_NOT_FOUND);
    if (record.completed) {
      const attachment = record.attachmentId === null ? undefined : app.data.attachment(record.attachmentId);
      if (attachment === undefined) throw TusError.of(ERRORS.FILE_NO_LONGER_EXISTS);
      return { url: `/user_uploads/${encodeKeyPath(attachment.key)}`, filename: attachment.name };
    }
    const key = attachmentKey(record.realmId, record.name, app.stores.shardAttachmentKeys);
    let size: number;
    try {
      size = (
        await app.stores.uploads.put(key, this.readSegments(id), {
          contentType: record.contentType,
          size: record.size,
          ifNoneMatch: '*',
        })
      ).size;
    } catch (error) {
      if (isStorageError(error, 'IntegrityError'))
        throw refusal(409, 'the stored parts of this upload do not add up to its Upload-Length; upload it again');
      throw error;
    }
    const attachmentId = app.data.createAttachment({
      realmId: record.realmId,
      ownerId: record.ownerId,
      key,
      name: record.name,
      size,
      contentType: record.contentType,
      thumbnailKey: null,
      createdAt: app.now(),
    });
    app.data.completeTusUpload(id, attachmentId);
    try {
      await super.remove(id);
    } catch (error) {
      // The expiry sweep removes them later; the attachment is complete either way.
      app.logError(error);
    }
    const attachment = app.data.attachment(attachmentId);
    if (attachment !== undefined) await withThumbnail(app, attachment);
    return { url: `/user_uploads/${encodeKeyPath(key)}`, filename: record.name };
  }
}
