import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import { encodeKeyPath, isStorageError } from '@stowage/core';
import { ApiError, notFound } from './api-error.ts';
import type { AttachmentRecord, ChatData, RealmImage, RealmRecord, UserRecord } from './chat-data.ts';
import type { ChatStores } from './chat-stores.ts';
import { errorResponse } from './http-io.ts';
import type { HttpRuntime } from './http-runtime.ts';
import { CSRF_COOKIE, SESSION_COOKIE, Sessions } from './sessions.ts';
import type { ActiveSession } from './sessions.ts';
import { SmallObjectCache } from './small-object-cache.ts';
import { avatarKeys, realmImageKeys } from './upload-keys.ts';
import { readableTarget } from './upload-access.ts';
import type { UploadTarget } from './upload-access.ts';
import { UploadReservations } from './upload-reservations.ts';
import { ChatTusUploads } from './tus-uploads.ts';
import type { TusSettings } from './tus-uploads.ts';

export interface ChatAppOptions {
  readonly data: ChatData;
  readonly stores: ChatStores;
  /** `MAX_FILE_UPLOAD_SIZE` in bytes. */
  readonly maxFileUploadBytes: number;
  /** Largest avatar, icon, logo or emoji upload; Zulip's default is 5 MiB. */
  readonly maxImageUploadBytes?: number | undefined;
  /** Server secret mixed into avatar hashes so avatar URLs cannot be guessed. */
  readonly avatarSalt: string;
  /** Folder of the web UI's static files; none means only the API is served. */
  readonly webRoot?: string | undefined;
  /** Largest object kept in memory after its first read (default 256 KiB; 0 keeps none, as the bench compares). */
  readonly memoryCacheObjectBytes?: number | undefined;
  /** `SERVE_UPLOADS_VIA`: `nginx` answers an allowed file request with `X-Accel-Redirect` for nginx to send. */
  readonly serveVia?: 'app' | 'nginx' | undefined;
  /** Milliseconds since the epoch; injectable so tests can move time. */
  readonly now?: (() => number) | undefined;
  /** Where unexpected errors are reported; defaults to the console. */
  readonly logError?: ((error: unknown) => void) | undefined;
  /** Resumable uploads (`/api/v1/tus`): expiry, segment size, sweep interval. */
  readonly tus?: TusSettings | undefined;
}

/** A route of the app: the app's state and Hono's context in, the answer out (a refusal is thrown as `ApiError`). */
export type Handler = (app: ChatApp, c: Context) => Response | Promise<Response>;

const SMALL_OBJECT_BYTES = 256 * 1024;
const MAX_REMEMBERED_DECISIONS = 100_000;

/** The chat server's state and the checks every route shares (session, CSRF, JSON views). */
export class ChatApp {
  readonly data: ChatData;
  readonly stores: ChatStores;
  readonly sessions: Sessions;
  readonly maxFileUploadBytes: number;
  readonly maxImageUploadBytes: number;
  readonly avatarSalt: string;
  readonly webRoot: string | undefined;
  readonly serveVia: 'app' | 'nginx';
  readonly now: () => number;
  /** Small private uploads answered from memory (the hot path); entries are dropped when deleted. */
  readonly uploadCache: SmallObjectCache;
  readonly avatarCache: SmallObjectCache;
  /** Bytes of uploads still streaming, by realm: counted against the quota until they are stored or fail. */
  readonly pendingUploads: UploadReservations = new UploadReservations();
  readonly #logError: (error: unknown) => void;
  readonly #readable = new Map<string, UploadTarget | null>();
  #readableVersion = -1;

  /** The server's runtime pieces (Node or Deno), handed over by the entry point. */
  readonly runtime: HttpRuntime;
  /** The tus endpoint and its store of partial uploads. */
  readonly tus: ChatTusUploads;

  constructor(options: ChatAppOptions, runtime: HttpRuntime) {
    this.runtime = runtime;
    this.data = options.data;
    this.stores = options.stores;
    this.maxFileUploadBytes = options.maxFileUploadBytes;
    this.maxImageUploadBytes = options.maxImageUploadBytes ?? 5 * 1024 * 1024;
    this.avatarSalt = options.avatarSalt;
    this.webRoot = options.webRoot;
    this.serveVia = options.serveVia ?? 'app';
    const cacheObjectBytes = options.memoryCacheObjectBytes ?? SMALL_OBJECT_BYTES;
    this.uploadCache = new SmallObjectCache(cacheObjectBytes, 64 * 1024 * 1024);
    this.avatarCache = new SmallObjectCache(cacheObjectBytes, 16 * 1024 * 1024);
    this.now = options.now ?? Date.now;
    this.sessions = new Sessions(this.data, this.now);
    this.#logError =
      options.logError ??
      ((error) => {
        console.error(error);
      });
    this.tus = new ChatTusUploads(this, options.tus);
  }

  /** Stops the app's background work (the expiry sweep of partial uploads). */
  stop(): void {
    this.tus.stop();
  }

  /** The live session the request's cookie names, if any. */
  session(c: Context): ActiveSession | undefined {
    return this.sessions.find(getCookie(c, SESSION_COOKIE));
  }

  requireSession(c: Context): ActiveSession {
    const session = this.session(c);
    if (session === undefined) throw new ApiError(401, 'Unauthenticated', 'log in first');
    return session;
  }

  /**
   * A state-changing request must echo the CSRF token in `X-CSRF-Token`: the session's once logged in, else the
   * `stowage_csrf` cookie (double submit). Another site can make the browser send cookies, not this header.
   */
  requireCsrf(c: Context, session: ActiveSession | undefined): void {
    const sent = c.req.header('x-csrf-token');
    const expected = session?.csrfToken ?? getCookie(c, CSRF_COOKIE);
    if (typeof sent !== 'string' || expected === undefined || expected.length < 16 || sent !== expected) {
      throw new ApiError(403, 'CsrfFailed', 'missing or wrong X-CSRF-Token header: reload the page and try again');
    }
  }

  /** Session and CSRF check for every state-changing API call. */
  requireWrite(c: Context): ActiveSession {
    const session = this.requireSession(c);
    this.requireCsrf(c, session);
    return session;
  }

  requireAdmin(c: Context): ActiveSession {
    const session = this.requireWrite(c);
    if (!session.user.isAdmin) throw new ApiError(403, 'Forbidden', 'only organization administrators may do this');
    return session;
  }

  /**
   * The upload a key names when `user` may read it, else `undefined` (missing and forbidden alike). Decisions are
   * remembered until the next write that could change one, so repeated reads of a file cost no query.
   */
  readableUpload(user: UserRecord, key: string): UploadTarget | undefined {
    if (this.#readableVersion !== this.data.accessVersion || this.#readable.size >= MAX_REMEMBERED_DECISIONS) {
      this.#readable.clear();
      this.#readableVersion = this.data.accessVersion;
    }
    const memo = `${user.id}/${key}`;
    const known = this.#readable.get(memo);
    if (known !== undefined) return known ?? undefined;
    const target = readableTarget(this.data, user, key);
    this.#readable.set(memo, target ?? null);
    return target;
  }

  avatarUrl(key: string): string {
    return this.stores.avatarPublicUrl?.(key) ?? `/user_avatars/${encodeKeyPath(key)}`;
  }

  userView(user: UserRecord): Record<string, unknown> {
    const keys = user.avatarHash === null ? undefined : avatarKeys(user.realmId, user.avatarHash);
    return {
      id: user.id,
      realmId: user.realmId,
      email: user.email,
      fullName: user.fullName,
      isAdmin: user.isAdmin,
      avatarUrl: keys === undefined ? null : this.avatarUrl(keys.small),
      avatarMediumUrl: keys === undefined ? null : this.avatarUrl(keys.medium),
    };
  }

  realmImageUrl(realm: RealmRecord, image: RealmImage): string | null {
    const version =
      image === 'icon' ? realm.iconVersion : image === 'logo' ? realm.logoVersion : realm.nightLogoVersion;
    if (version === 0) return null;
    return `${this.avatarUrl(realmImageKeys(realm.id, image).image)}?version=${version}`;
  }

  attachmentView(attachment: AttachmentRecord): Record<string, unknown> {
    return {
      id: attachment.id,
      name: attachment.name,
      size: attachment.size,
      contentType: attachment.contentType,
      url: `/user_uploads/${encodeKeyPath(attachment.key)}`,
      thumbnailUrl: attachment.thumbnailKey === null ? null : `/user_uploads/${encodeKeyPath(attachment.thumbnailKey)}`,
      createdAt: new Date(attachment.createdAt).toISOString(),
    };
  }

  /** The answer to a failed request: an `ApiError` as itself, a storage failure as what it means to the client. */
  failure(error: unknown): Response {
    if (error instanceof ApiError) return errorResponse(error, error.status === 413 ? { connection: 'close' } : {});
    if (isStorageError(error, 'NotFound') || isStorageError(error, 'InvalidKey')) return errorResponse(notFound());
    if (isStorageError(error) && (error.code === 'Unavailable' || error.code === 'AccessDenied')) {
      // The operator must learn the cause; the user learns it is the server's storage, not their request.
      this.#logError(error);
      if (isFullStore(error))
        return errorResponse(
          new ApiError(507, 'StoreFull', 'the file store is full; an administrator has to free space'),
        );
      return errorResponse(
        new ApiError(503, 'StoreUnavailable', 'the file store is unavailable right now; try again later'),
        { 'retry-after': '30' },
      );
    }
    this.#logError(error);
    return errorResponse(new ApiError(500, 'Internal', 'the server failed to complete the request; please try again'));
  }

  /** Reports an error that reached no client (a response cut mid-body, a background task). */
  logError(error: unknown): void {
    this.#logError(error);
  }
}

/** Whether a storage failure comes from a full disk or exhausted disk quota (ENOSPC, EDQUOT) anywhere in its causes. */
function isFullStore(error: unknown): boolean {
  for (let at: unknown = error, depth = 0; at instanceof Error && depth < 8; at = at.cause, depth++) {
    const code = (at as { code?: unknown }).code;
    if (code === 'ENOSPC' || code === 'EDQUOT') return true;
  }
  return false;
}
