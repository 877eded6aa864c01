import { createHash, randomBytes } from 'node:crypto';
import type { ChatData, SessionRecord, UserRecord } from './chat-data.ts';

export const SESSION_COOKIE = 'stowage_session';
export const CSRF_COOKIE = 'stowage_csrf';
const SESSION_LIFETIME_MS = 14 * 24 * 60 * 60 * 1000;
const MAX_REMEMBERED_SESSIONS = 100_000;

/** An opaque random token, safe in a cookie or header. */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

export interface ActiveSession {
  readonly token: string;
  readonly user: UserRecord;
  readonly csrfToken: string;
}

/**
 * Cookie sessions. The database keeps only a hash of each token (a leaked database opens no session); checked
 * sessions are remembered in memory so serving a file costs no database read for the session.
 */
export class Sessions {
  readonly #data: ChatData;
  readonly #now: () => number;
  readonly #known = new Map<string, SessionRecord>();
  readonly #users = new Map<number, UserRecord>();

  constructor(data: ChatData, now: () => number) {
    this.#data = data;
    this.#now = now;
  }

  /** Starts a session for the user and returns its token and CSRF token. */
  create(user: UserRecord): ActiveSession {
    const token = randomToken();
    const record: SessionRecord = {
      tokenHash: hashToken(token),
      userId: user.id,
      csrfToken: randomToken(),
      expiresAt: this.#now() + SESSION_LIFETIME_MS,
    };
    this.#data.createSession(record);
    this.#known.set(token, record);
    this.#users.set(user.id, user);
    return { token, user, csrfToken: record.csrfToken };
  }

  /** The live session a cookie token names, or `undefined` (unknown, ended or expired). */
  find(token: string | undefined): ActiveSession | undefined {
    if (token === undefined || token === '') return undefined;
    let record = this.#known.get(token);
    if (record === undefined) {
      record = this.#data.session(hashToken(token));
      if (record === undefined) return undefined;
      // The memory copy is only a shortcut: forgetting all of it now and then bounds it, and costs one query each.
      if (this.#known.size >= MAX_REMEMBERED_SESSIONS) this.#known.clear();
      this.#known.set(token, record);
    }
    if (record.expiresAt <= this.#now()) {
      this.end(token);
      return undefined;
    }
    let user = this.#users.get(record.userId);
    if (user === undefined) {
      user = this.#data.user(record.userId);
      if (user === undefined) return undefined;
      this.#users.set(user.id, user);
    }
    return { token, user, csrfToken: record.csrfToken };
  }

  end(token: string): void {
    this.#known.delete(token);
    this.#data.deleteSession(hashToken(token));
  }

  /** Drops the remembered copy of a user after the user record changed (avatar, name). */
  userChanged(userId: number): void {
    this.#users.delete(userId);
  }
}
