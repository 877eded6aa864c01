import { inTransaction } from './sql-database.ts';
import type { SqlDatabase, SqlStatement, SqlValue } from './sql-database.ts';

export interface RealmRecord {
  readonly id: number;
  readonly name: string;
  readonly quotaBytes: number;
  /** Most bytes one user may hold, or `null` when only the realm's quota applies. */
  readonly userQuotaBytes: number | null;
  readonly iconVersion: number;
  readonly logoVersion: number;
  readonly nightLogoVersion: number;
}

export interface UserRecord {
  readonly id: number;
  readonly realmId: number;
  readonly email: string;
  readonly fullName: string;
  readonly isAdmin: boolean;
  readonly avatarVersion: number;
  /** The hash naming the current avatar's keys, or `null` for none. */
  readonly avatarHash: string | null;
}

export interface ChannelRecord {
  readonly id: number;
  readonly realmId: number;
  readonly name: string;
  readonly isPrivate: boolean;
}

/** A direct-message conversation: a private channel whose subscribers are its fixed members. */
export interface DirectConversationRecord {
  readonly id: number;
  readonly realmId: number;
  /** Member ids in ascending order (the sender is one of them). */
  readonly memberIds: readonly number[];
}

export interface MessageRecord {
  readonly id: number;
  readonly channelId: number;
  readonly senderId: number;
  readonly content: string;
  readonly createdAt: number;
}

/** A resumable upload: created with its length, complete once all bytes are stored and its attachment made. */
export interface TusUploadRecord {
  readonly id: string;
  readonly realmId: number;
  readonly ownerId: number;
  readonly size: number;
  readonly name: string;
  readonly contentType: string;
  readonly createdAt: number;
  readonly attachmentId: number | null;
  readonly completed: boolean;
}

export interface AttachmentRecord {
  readonly id: number;
  readonly realmId: number;
  readonly ownerId: number;
  readonly key: string;
  readonly name: string;
  readonly size: number;
  readonly contentType: string;
  readonly thumbnailKey: string | null;
  readonly createdAt: number;
  readonly unlinkedSince: number | null;
}

export interface EmojiRecord {
  readonly id: number;
  readonly realmId: number;
  readonly name: string;
  readonly key: string;
  readonly authorId: number;
}

export interface SessionRecord {
  readonly tokenHash: string;
  readonly userId: number;
  readonly csrfToken: string;
  readonly expiresAt: number;
}

export type RealmImage = 'icon' | 'logo' | 'night_logo';

const USER_COLUMNS =
  'id, realm_id AS realmId, email, full_name AS fullName, is_admin AS isAdmin, avatar_version AS avatarVersion, avatar_hash AS avatarHash';
const ATTACHMENT_COLUMNS =
  'a.id, a.realm_id AS realmId, a.owner_id AS ownerId, a.key, a.name, a.size, a.content_type AS contentType, a.thumbnail_key AS thumbnailKey, a.created_at AS createdAt, a.unlinked_since AS unlinkedSince';
// A channel `c` is visible to user (?, realm ?) when it is in the user's realm and public or subscribed.
// Direct conversations are private channels whose members are subscribed, so the same test covers them.
const CONVERSATION_VISIBLE =
  'c.realm_id = ? AND (c.is_private = 0 OR EXISTS (SELECT 1 FROM subscriptions s WHERE s.channel_id = c.id AND s.user_id = ?))';
// The same, for channels proper (not direct conversations).
const CHANNEL_VISIBLE = `c.direct_members IS NULL AND ${CONVERSATION_VISIBLE}`;
const REALM_COLUMNS =
  'id, name, quota_bytes AS quotaBytes, user_quota_bytes AS userQuotaBytes, icon_version AS iconVersion, logo_version AS logoVersion, night_logo_version AS nightLogoVersion';

function toUser(row: unknown): UserRecord | undefined {
  if (row === undefined) return undefined;
  const user = row as Omit<UserRecord, 'isAdmin'> & { isAdmin: number };
  return { ...user, isAdmin: user.isAdmin === 1 };
}

function toChannel(row: unknown): ChannelRecord | undefined {
  if (row === undefined) return undefined;
  const channel = row as Omit<ChannelRecord, 'isPrivate'> & { isPrivate: number };
  return { ...channel, isPrivate: channel.isPrivate === 1 };
}

/**
 * Every query of the chat domain, over one SQLite database. Methods are synchronous (SQLite answers in
 * microseconds) so a request's checks never interleave with another request's writes.
 */
export class ChatData {
  readonly db: SqlDatabase;
  readonly #statements = new Map<string, SqlStatement>();
  #accessVersion = 0;

  constructor(db: SqlDatabase) {
    this.db = db;
  }

  #sql(sql: string): SqlStatement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #get(sql: string, ...parameters: SqlValue[]): unknown {
    return this.#sql(sql).get(...parameters);
  }

  #all(sql: string, ...parameters: SqlValue[]): unknown[] {
    return this.#sql(sql).all(...parameters);
  }

  #insert(sql: string, ...parameters: SqlValue[]): number {
    return Number(this.#sql(sql).run(...parameters).lastInsertRowid);
  }

  #run(sql: string, ...parameters: SqlValue[]): number {
    return Number(this.#sql(sql).run(...parameters).changes);
  }

  /**
   * Changes whenever a write may change who can read an upload (messages, links, subscriptions, attachments), so
   * remembered access decisions can be dropped exactly when they could be wrong.
   */
  get accessVersion(): number {
    return this.#accessVersion;
  }

  transaction<T>(work: () => T): T {
    return inTransaction(this.db, work);
  }

  // Realms

  createRealm(name: string, quotaBytes: number): number {
    return this.#insert('INSERT INTO realms (name, quota_bytes) VALUES (?, ?)', name, quotaBytes);
  }

  realm(id: number): RealmRecord | undefined {
    return this.#get(`SELECT ${REALM_COLUMNS} FROM realms WHERE id = ?`, id) as RealmRecord | undefined;
  }

  realms(): RealmRecord[] {
    return this.#all(`SELECT ${REALM_COLUMNS} FROM realms ORDER BY id`) as RealmRecord[];
  }

  /** Sets the realm's quota and the per-user quota (`null`: none). */
  setQuotas(realmId: number, quotaBytes: number, userQuotaBytes: number | null): void {
    this.#run(
      'UPDATE realms SET quota_bytes = ?, user_quota_bytes = ? WHERE id = ?',
      quotaBytes,
      userQuotaBytes,
      realmId,
    );
  }

  /** Bytes of uploads the user owns now (what the per-user quota is measured against). */
  userUsedBytes(userId: number): number {
    const row = this.#get('SELECT COALESCE(SUM(size), 0) AS used FROM attachments WHERE owner_id = ?', userId) as {
      used: number;
    };
    return row.used;
  }

  /** Bytes of uploads the realm holds now (what its quota is measured against). */
  realmUsedBytes(realmId: number): number {
    const row = this.#get('SELECT COALESCE(SUM(size), 0) AS used FROM attachments WHERE realm_id = ?', realmId) as {
      used: number;
    };
    return row.used;
  }

  /** Increments the version of the realm's icon or logo (so its URL changes) and returns the new version. */
  bumpRealmImage(realmId: number, image: RealmImage): number {
    const column = `${image === 'night_logo' ? 'night_logo' : image}_version`;
    this.#run(`UPDATE realms SET ${column} = ${column} + 1 WHERE id = ?`, realmId);
    const row = this.#get(`SELECT ${column} AS version FROM realms WHERE id = ?`, realmId) as { version: number };
    return row.version;
  }

  // Users

  createUser(realmId: number, email: string, fullName: string, passwordHash: string, isAdmin: boolean): number {
    return this.#insert(
      'INSERT INTO users (realm_id, email, full_name, password_hash, is_admin) VALUES (?, ?, ?, ?, ?)',
      realmId,
      email,
      fullName,
      passwordHash,
      isAdmin ? 1 : 0,
    );
  }

  user(id: number): UserRecord | undefined {
    return toUser(this.#get(`SELECT ${USER_COLUMNS} FROM users WHERE id = ?`, id));
  }

  userWithPassword(email: string): { readonly user: UserRecord; readonly passwordHash: string } | undefined {
    const row = this.#get(`SELECT ${USER_COLUMNS}, password_hash AS passwordHash FROM users WHERE email = ?`, email) as
      (Omit<UserRecord, 'isAdmin'> & { passwordHash: string; isAdmin: number }) | undefined;
    if (row === undefined) return undefined;
    const { passwordHash, ...user } = row;
    return { user: { ...user, isAdmin: user.isAdmin === 1 }, passwordHash };
  }

  usersOfRealm(realmId: number): UserRecord[] {
    return this.#all(`SELECT ${USER_COLUMNS} FROM users WHERE realm_id = ? ORDER BY full_name`, realmId).map(
      (row) => toUser(row) as UserRecord,
    );
  }

  /** The user's API key, made on first use (Zulip makes one per user). */
  apiKey(userId: number, make: () => string): string {
    const row = this.#get('SELECT api_key AS apiKey FROM users WHERE id = ?', userId) as
      { apiKey: string | null } | undefined;
    if (row?.apiKey !== null && row?.apiKey !== undefined) return row.apiKey;
    const key = make();
    this.#run('UPDATE users SET api_key = ? WHERE id = ? AND api_key IS NULL', key, userId);
    return this.apiKey(userId, make);
  }

  /** The user an email and API key name together, or `undefined`. */
  userWithApiKey(email: string, apiKey: string): UserRecord | undefined {
    return toUser(this.#get(`SELECT ${USER_COLUMNS} FROM users WHERE email = ? AND api_key = ?`, email, apiKey));
  }

  /** A visible channel by name or id, as Zulip's `to` names it. */
  visibleChannelNamed(user: UserRecord, name: string): ChannelRecord | undefined {
    return toChannel(
      this.#get(
        `SELECT c.id, c.realm_id AS realmId, c.name, c.is_private AS isPrivate FROM channels c WHERE c.name = ? AND ${CHANNEL_VISIBLE}`,
        name,
        user.realmId,
        user.id,
      ),
    );
  }

  /** Starts a new avatar version and returns it; the caller derives the new hash from it. */
  nextAvatarVersion(userId: number): number {
    this.#run('UPDATE users SET avatar_version = avatar_version + 1 WHERE id = ?', userId);
    return (this.#get('SELECT avatar_version AS version FROM users WHERE id = ?', userId) as { version: number })
      .version;
  }

  setAvatarHash(userId: number, hash: string | null): void {
    this.#run('UPDATE users SET avatar_hash = ? WHERE id = ?', hash, userId);
  }

  // Channels

  createChannel(realmId: number, name: string, isPrivate: boolean): number {
    return this.#insert(
      'INSERT INTO channels (realm_id, name, is_private) VALUES (?, ?, ?)',
      realmId,
      name,
      isPrivate ? 1 : 0,
    );
  }

  subscribe(userId: number, channelId: number): void {
    this.#accessVersion++;
    this.#run('INSERT OR IGNORE INTO subscriptions (user_id, channel_id) VALUES (?, ?)', userId, channelId);
  }

  unsubscribe(userId: number, channelId: number): void {
    this.#accessVersion++;
    this.#run('DELETE FROM subscriptions WHERE user_id = ? AND channel_id = ?', userId, channelId);
  }

  /** Public channels of the user's realm and the private ones the user is subscribed to. */
  visibleChannels(user: UserRecord): (ChannelRecord & { readonly subscribed: boolean })[] {
    return this.#all(
      `SELECT c.id, c.realm_id AS realmId, c.name, c.is_private AS isPrivate,
         EXISTS (SELECT 1 FROM subscriptions s WHERE s.channel_id = c.id AND s.user_id = ?) AS subscribed
       FROM channels c WHERE ${CHANNEL_VISIBLE} ORDER BY c.name`,
      user.id,
      user.realmId,
      user.id,
    ).map((row) => {
      const channel = row as Omit<ChannelRecord, 'isPrivate'> & { isPrivate: number; subscribed: number };
      return { ...channel, isPrivate: channel.isPrivate === 1, subscribed: channel.subscribed === 1 };
    });
  }

  /** The channel when the user may see it, else `undefined` (missing and hidden look the same). */
  visibleChannel(user: UserRecord, channelId: number): ChannelRecord | undefined {
    return toChannel(
      this.#get(
        `SELECT c.id, c.realm_id AS realmId, c.name, c.is_private AS isPrivate FROM channels c WHERE c.id = ? AND ${CHANNEL_VISIBLE}`,
        channelId,
        user.realmId,
        user.id,
      ),
    );
  }

  /** A channel or a direct conversation the user can see (a member of), by id; else `undefined`. */
  visibleConversation(user: UserRecord, conversationId: number): ChannelRecord | undefined {
    return toChannel(
      this.#get(
        `SELECT c.id, c.realm_id AS realmId, c.name, c.is_private AS isPrivate FROM channels c WHERE c.id = ? AND ${CONVERSATION_VISIBLE}`,
        conversationId,
        user.realmId,
        user.id,
      ),
    );
  }

  // Direct messages

  /**
   * The direct conversation of exactly these members (ids of one realm, the sender included), created on first
   * use with its members subscribed; as in Zulip, the same set of people always gets the same conversation.
   */
  directConversation(realmId: number, memberIds: readonly number[]): DirectConversationRecord {
    const members = [...new Set(memberIds)].sort((a, b) => a - b);
    const key = members.join(',');
    return this.transaction(() => {
      const found = this.#get('SELECT id FROM channels WHERE realm_id = ? AND direct_members = ?', realmId, key) as
        { id: number } | undefined;
      if (found !== undefined) return { id: found.id, realmId, memberIds: members };
      this.#accessVersion++;
      // The name only fills the column: direct conversations are never listed or looked up by name.
      const id = this.#insert(
        'INSERT INTO channels (realm_id, name, is_private, direct_members) VALUES (?, ?, 1, ?)',
        realmId,
        `direct:${key}`,
        key,
      );
      for (const member of members)
        this.#run('INSERT INTO subscriptions (user_id, channel_id) VALUES (?, ?)', member, id);
      return { id, realmId, memberIds: members };
    });
  }

  /** The direct conversations the user is a member of, most recently active first. */
  directConversationsOf(user: UserRecord): DirectConversationRecord[] {
    const rows = this.#all(
      `SELECT c.id, c.realm_id AS realmId, c.direct_members AS members FROM channels c JOIN subscriptions s ON s.channel_id = c.id AND s.user_id = ?
       WHERE c.direct_members IS NOT NULL AND c.realm_id = ?
       ORDER BY COALESCE((SELECT MAX(m.id) FROM messages m WHERE m.channel_id = c.id), 0) DESC, c.id DESC`,
      user.id,
      user.realmId,
    ) as { id: number; realmId: number; members: string }[];
    return rows.map(({ id, realmId, members }) => ({ id, realmId, memberIds: members.split(',').map(Number) }));
  }

  // Messages

  /** Stores a message and links the given attachments to it, in one transaction. */
  createMessage(
    channelId: number,
    senderId: number,
    content: string,
    createdAt: number,
    attachmentIds: readonly number[],
  ): number {
    this.#accessVersion++;
    return this.transaction(() => {
      const id = this.#insert(
        'INSERT INTO messages (channel_id, sender_id, content, created_at) VALUES (?, ?, ?, ?)',
        channelId,
        senderId,
        content,
        createdAt,
      );
      for (const attachmentId of attachmentIds) {
        this.#run(
          'INSERT OR IGNORE INTO attachment_messages (attachment_id, message_id) VALUES (?, ?)',
          attachmentId,
          id,
        );
        this.#run('UPDATE attachments SET unlinked_since = NULL WHERE id = ?', attachmentId);
      }
      return id;
    });
  }

  message(id: number): MessageRecord | undefined {
    return this.#get(
      'SELECT id, channel_id AS channelId, sender_id AS senderId, content, created_at AS createdAt FROM messages WHERE id = ?',
      id,
    ) as MessageRecord | undefined;
  }

  /** Up to `limit` messages of the channel before message `before` (all when absent), oldest first. */
  messages(channelId: number, before: number | undefined, limit: number): MessageRecord[] {
    const rows = this.#all(
      `SELECT id, channel_id AS channelId, sender_id AS senderId, content, created_at AS createdAt FROM messages
       WHERE channel_id = ? AND id < ? ORDER BY id DESC LIMIT ?`,
      channelId,
      before ?? Number.MAX_SAFE_INTEGER,
      limit,
    ) as MessageRecord[];
    return rows.reverse();
  }

  /**
   * Deletes the message and its links; attachments it was the last link of start their unlinked period
   * (the cleanup command counts from then).
   */
  deleteMessage(id: number, now: number): void {
    this.#accessVersion++;
    this.transaction(() => {
      const linked = this.#all('SELECT attachment_id AS id FROM attachment_messages WHERE message_id = ?', id) as {
        id: number;
      }[];
      this.#run('DELETE FROM attachment_messages WHERE message_id = ?', id);
      this.#run('DELETE FROM messages WHERE id = ?', id);
      for (const { id: attachmentId } of linked) {
        this.#run(
          'UPDATE attachments SET unlinked_since = ? WHERE id = ? AND NOT EXISTS (SELECT 1 FROM attachment_messages WHERE attachment_id = ?)',
          now,
          attachmentId,
          attachmentId,
        );
      }
    });
  }

  // Attachments

  createAttachment(attachment: Omit<AttachmentRecord, 'id' | 'unlinkedSince'>): number {
    this.#accessVersion++;
    return this.#insert(
      'INSERT INTO attachments (realm_id, owner_id, key, name, size, content_type, thumbnail_key, created_at, unlinked_since) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      attachment.realmId,
      attachment.ownerId,
      attachment.key,
      attachment.name,
      attachment.size,
      attachment.contentType,
      attachment.thumbnailKey,
      attachment.createdAt,
      attachment.createdAt,
    );
  }

  setThumbnailKey(attachmentId: number, thumbnailKey: string | null): void {
    this.#accessVersion++;
    this.#run('UPDATE attachments SET thumbnail_key = ? WHERE id = ?', thumbnailKey, attachmentId);
  }

  attachment(id: number): AttachmentRecord | undefined {
    return this.#get(`SELECT ${ATTACHMENT_COLUMNS} FROM attachments a WHERE a.id = ?`, id) as
      AttachmentRecord | undefined;
  }

  attachmentByKey(key: string): AttachmentRecord | undefined {
    return this.#get(`SELECT ${ATTACHMENT_COLUMNS} FROM attachments a WHERE a.key = ?`, key) as
      AttachmentRecord | undefined;
  }

  attachmentsOfOwner(ownerId: number): AttachmentRecord[] {
    return this.#all(
      `SELECT ${ATTACHMENT_COLUMNS} FROM attachments a WHERE a.owner_id = ? ORDER BY a.id DESC`,
      ownerId,
    ) as AttachmentRecord[];
  }

  /** The attachments each message links, by message id. */
  attachmentsOfMessages(messageIds: readonly number[]): Map<number, AttachmentRecord[]> {
    const byMessage = new Map<number, AttachmentRecord[]>();
    if (messageIds.length === 0) return byMessage;
    const rows = this.#all(
      `SELECT am.message_id AS messageId, ${ATTACHMENT_COLUMNS} FROM attachment_messages am JOIN attachments a ON a.id = am.attachment_id
       WHERE am.message_id IN (${messageIds.map(() => '?').join(', ')}) ORDER BY a.id`,
      ...messageIds,
    ) as (AttachmentRecord & { messageId: number })[];
    for (const { messageId, ...attachment } of rows) {
      const list = byMessage.get(messageId) ?? [];
      list.push(attachment);
      byMessage.set(messageId, list);
    }
    return byMessage;
  }

  /** The messages linking an attachment. */
  messagesLinking(attachmentId: number): { readonly id: number; readonly channelId: number }[] {
    return this.#all(
      'SELECT m.id, m.channel_id AS channelId FROM attachment_messages am JOIN messages m ON m.id = am.message_id WHERE am.attachment_id = ? ORDER BY m.id',
      attachmentId,
    ) as { id: number; channelId: number }[];
  }

  /**
   * Zulip's rule: the owner may read an upload, and so may a user of the same realm who can see a message linking
   * it (public channel, private channel the user is subscribed to, or a direct message the user is a member of).
   */
  canRead(user: UserRecord, attachment: AttachmentRecord): boolean {
    if (attachment.realmId !== user.realmId) return false;
    if (attachment.ownerId === user.id) return true;
    return (
      this.#get(
        `SELECT 1 AS found FROM attachment_messages am JOIN messages m ON m.id = am.message_id JOIN channels c ON c.id = m.channel_id
         WHERE am.attachment_id = ? AND ${CONVERSATION_VISIBLE} LIMIT 1`,
        attachment.id,
        user.realmId,
        user.id,
      ) !== undefined
    );
  }

  deleteAttachment(id: number): void {
    this.#accessVersion++;
    this.#run('DELETE FROM attachments WHERE id = ?', id);
  }

  /**
   * Which of `keys` an attachment row references, as its file or its thumbnail. One query per call: the storage
   * cleanup asks for one page of listed keys at a time, never for all of them.
   */
  referencedUploadKeys(keys: readonly string[]): Set<string> {
    const found = new Set<string>();
    if (keys.length === 0) return found;
    const marks = keys.map(() => '?').join(', ');
    const rows = this.#all(
      `SELECT key AS found FROM attachments WHERE key IN (${marks}) UNION SELECT thumbnail_key FROM attachments WHERE thumbnail_key IN (${marks})`,
      ...keys,
      ...keys,
    ) as { found: string }[];
    for (const row of rows) found.add(row.found);
    return found;
  }

  /** Attachments no message has linked since before `cutoff` (milliseconds since the epoch). */
  attachmentsUnlinkedBefore(cutoff: number): AttachmentRecord[] {
    return this.#all(
      `SELECT ${ATTACHMENT_COLUMNS} FROM attachments a WHERE a.unlinked_since IS NOT NULL AND a.unlinked_since < ? ORDER BY a.id`,
      cutoff,
    ) as AttachmentRecord[];
  }

  // Sessions

  createSession(session: SessionRecord): void {
    this.#run(
      'INSERT INTO sessions (token_hash, user_id, csrf_token, expires_at) VALUES (?, ?, ?, ?)',
      session.tokenHash,
      session.userId,
      session.csrfToken,
      session.expiresAt,
    );
  }

  session(tokenHash: string): SessionRecord | undefined {
    return this.#get(
      'SELECT token_hash AS tokenHash, user_id AS userId, csrf_token AS csrfToken, expires_at AS expiresAt FROM sessions WHERE token_hash = ?',
      tokenHash,
    ) as SessionRecord | undefined;
  }

  deleteSession(tokenHash: string): void {
    this.#run('DELETE FROM sessions WHERE token_hash = ?', tokenHash);
  }

  deleteExpiredSessions(now: number): number {
    return this.#run('DELETE FROM sessions WHERE expires_at <= ?', now);
  }

  // Emoji

  createEmoji(realmId: number, name: string, key: string, authorId: number): number {
    return this.#insert(
      'INSERT INTO emoji (realm_id, name, key, author_id) VALUES (?, ?, ?, ?)',
      realmId,
      name,
      key,
      authorId,
    );
  }

  emojiOfRealm(realmId: number): EmojiRecord[] {
    return this.#all(
      'SELECT id, realm_id AS realmId, name, key, author_id AS authorId FROM emoji WHERE realm_id = ? ORDER BY name',
      realmId,
    ) as EmojiRecord[];
  }

  emojiByName(realmId: number, name: string): EmojiRecord | undefined {
    return this.#get(
      'SELECT id, realm_id AS realmId, name, key, author_id AS authorId FROM emoji WHERE realm_id = ? AND name = ?',
      realmId,
      name,
    ) as EmojiRecord | undefined;
  }

  emoji(id: number): EmojiRecord | undefined {
    return this.#get('SELECT id, realm_id AS realmId, name, key, author_id AS authorId FROM emoji WHERE id = ?', id) as
      EmojiRecord | undefined;
  }

  deleteEmoji(id: number): void {
    this.#run('DELETE FROM emoji WHERE id = ?', id);
  }

  // Resumable uploads

  createTusUpload(upload: Omit<TusUploadRecord, 'attachmentId' | 'completed'>): void {
    this.#run(
      'INSERT INTO tus_uploads (id, realm_id, owner_id, size, name, content_type, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      upload.id,
      upload.realmId,
      upload.ownerId,
      upload.size,
      upload.name,
      upload.contentType,
      upload.createdAt,
    );
  }

  tusUpload(id: string): TusUploadRecord | undefined {
    const row = this.#get(
      'SELECT id, realm_id AS realmId, owner_id AS ownerId, size, name, content_type AS contentType, created_at AS createdAt, attachment_id AS attachmentId, completed FROM tus_uploads WHERE id = ?',
      id,
    ) as (Omit<TusUploadRecord, 'completed'> & { completed: number }) | undefined;
    return row === undefined ? undefined : { ...row, completed: row.completed === 1 };
  }

  /** Records the attachment a complete upload became; its bytes now count through the attachment. */
  completeTusUpload(id: string, attachmentId: number): void {
    this.#run('UPDATE tus_uploads SET attachment_id = ?, completed = 1 WHERE id = ?', attachmentId, id);
  }

  deleteTusUpload(id: string): void {
    this.#run('DELETE FROM tus_uploads WHERE id = ?', id);
  }

  /** Ids of uploads created before `before`, complete or not, oldest first. */
  tusUploadsCreatedBefore(before: number, limit: number): string[] {
    return (
      this.#all('SELECT id FROM tus_uploads WHERE created_at < ? ORDER BY created_at LIMIT ?', before, limit) as {
        id: string;
      }[]
    ).map((row) => row.id);
  }

  /** Bytes incomplete resumable uploads of the realm hold against its quota (their declared lengths). */
  realmTusReservedBytes(realmId: number): number {
    return (
      this.#get(
        'SELECT COALESCE(SUM(size), 0) AS held FROM tus_uploads WHERE realm_id = ? AND completed = 0',
        realmId,
      ) as { held: number }
    ).held;
  }

  userTusReservedBytes(userId: number): number {
    return (
      this.#get(
        'SELECT COALESCE(SUM(size), 0) AS held FROM tus_uploads WHERE owner_id = ? AND completed = 0',
        userId,
      ) as { held: number }
    ).held;
  }
}
