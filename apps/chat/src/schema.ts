import type { SqlDatabase } from './sql-database.ts';

const SCHEMA_VERSION = 4;

/** From version 3: resumable (tus) uploads in progress. */
const VERSION_4 = `CREATE TABLE tus_uploads (
  -- The tus upload id (the last segment of its URL); its bytes live in the uploads store until complete.
  id TEXT PRIMARY KEY,
  realm_id INTEGER NOT NULL REFERENCES realms(id),
  owner_id INTEGER NOT NULL REFERENCES users(id),
  -- Upload-Length: held against the quotas from creation until complete, terminated or expired.
  size INTEGER NOT NULL,
  name TEXT NOT NULL,
  content_type TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  -- The attachment it became; NULL while bytes are missing.
  attachment_id INTEGER REFERENCES attachments(id) ON DELETE SET NULL,
  completed INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX tus_uploads_by_created ON tus_uploads(created_at);
`;

/** Tables of the chat domain. Times are milliseconds since the epoch. */
const SCHEMA = `
CREATE TABLE realms (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  quota_bytes INTEGER NOT NULL,
  -- Most bytes one user of the realm may hold; NULL: only the realm's quota applies.
  user_quota_bytes INTEGER,
  icon_version INTEGER NOT NULL DEFAULT 0,
  logo_version INTEGER NOT NULL DEFAULT 0,
  night_logo_version INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  realm_id INTEGER NOT NULL REFERENCES realms(id),
  email TEXT NOT NULL UNIQUE COLLATE NOCASE,
  full_name TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  is_admin INTEGER NOT NULL DEFAULT 0,
  avatar_version INTEGER NOT NULL DEFAULT 0,
  avatar_hash TEXT,
  -- Zulip's per-user API key (HTTP Basic auth on /api/v1/*); shown to its owner, so kept as is.
  api_key TEXT UNIQUE
);
CREATE TABLE channels (
  id INTEGER PRIMARY KEY,
  realm_id INTEGER NOT NULL REFERENCES realms(id),
  name TEXT NOT NULL,
  is_private INTEGER NOT NULL DEFAULT 0,
  -- A direct-message conversation: its members' ids, sorted, comma-separated (members are its subscriptions).
  direct_members TEXT,
  UNIQUE (realm_id, name)
);
CREATE UNIQUE INDEX channels_direct ON channels(realm_id, direct_members) WHERE direct_members IS NOT NULL;
CREATE TABLE subscriptions (
  user_id INTEGER NOT NULL REFERENCES users(id),
  channel_id INTEGER NOT NULL REFERENCES channels(id),
  PRIMARY KEY (user_id, channel_id)
);
CREATE TABLE messages (
  id INTEGER PRIMARY KEY,
  channel_id INTEGER NOT NULL REFERENCES channels(id),
  sender_id INTEGER NOT NULL REFERENCES users(id),
  content TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX messages_by_channel ON messages(channel_id, id);
CREATE TABLE attachments (
  id INTEGER PRIMARY KEY,
  realm_id INTEGER NOT NULL REFERENCES realms(id),
  owner_id INTEGER NOT NULL REFERENCES users(id),
  key TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  size INTEGER NOT NULL,
  content_type TEXT NOT NULL,
  thumbnail_key TEXT,
  created_at INTEGER NOT NULL,
  -- When the last linking message went away (or the upload time, if never linked); NULL while linked.
  unlinked_since INTEGER
);
CREATE INDEX attachments_by_owner ON attachments(owner_id);
CREATE INDEX attachments_unlinked ON attachments(unlinked_since);
CREATE INDEX attachments_by_thumbnail ON attachments(thumbnail_key);
CREATE TABLE attachment_messages (
  attachment_id INTEGER NOT NULL REFERENCES attachments(id) ON DELETE CASCADE,
  message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
  PRIMARY KEY (attachment_id, message_id)
);
CREATE INDEX attachment_messages_by_message ON attachment_messages(message_id);
CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  csrf_token TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE TABLE emoji (
  id INTEGER PRIMARY KEY,
  realm_id INTEGER NOT NULL REFERENCES realms(id),
  name TEXT NOT NULL,
  key TEXT NOT NULL,
  author_id INTEGER NOT NULL REFERENCES users(id),
  UNIQUE (realm_id, name)
);
${VERSION_4}`;

/** From version 1: Zulip's API keys. */
const VERSION_2 = 'ALTER TABLE users ADD COLUMN api_key TEXT; CREATE UNIQUE INDEX users_api_key ON users(api_key);';
/** From version 2: direct messages, per-user quotas, thumbnail lookups for the storage cleanup. */
const VERSION_3 = `ALTER TABLE channels ADD COLUMN direct_members TEXT;
CREATE UNIQUE INDEX channels_direct ON channels(realm_id, direct_members) WHERE direct_members IS NOT NULL;
ALTER TABLE realms ADD COLUMN user_quota_bytes INTEGER;
CREATE INDEX attachments_by_thumbnail ON attachments(thumbnail_key);`;

/** Creates the tables of an empty database; returns whether it did (so the caller knows to seed). */
export function ensureSchema(db: SqlDatabase): boolean {
  db.exec('PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;');
  const row = db.prepare('PRAGMA user_version').get() as { user_version: number } | undefined;
  const version = row?.user_version ?? 0;
  if (version === SCHEMA_VERSION) return false;
  if (version >= 1 && version <= 3) {
    db.exec(
      `BEGIN; ${version === 1 ? VERSION_2 : ''} ${version <= 2 ? VERSION_3 : ''} ${VERSION_4} PRAGMA user_version = ${SCHEMA_VERSION}; COMMIT;`,
    );
    return false;
  }
  if (version !== 0) {
    throw new Error(`chat database schema version ${version} is not supported (expected ${SCHEMA_VERSION})`);
  }
  db.exec(`BEGIN; ${SCHEMA} PRAGMA user_version = ${SCHEMA_VERSION}; COMMIT;`);
  return true;
}
