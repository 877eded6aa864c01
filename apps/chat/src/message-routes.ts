import { keyProblem } from '@stowage/core';
import { ApiError, badRequest, notFound } from './api-error.ts';
import type { ChatApp, Handler } from './chat-app.ts';
import type { AttachmentRecord, DirectConversationRecord, MessageRecord, UserRecord } from './chat-data.ts';
import { parseId, readJsonObject, requireString, sendJson } from './http-io.ts';

const MAX_MESSAGE_CHARACTERS = 10_000;
const DEFAULT_PAGE = 50;
const MAX_PAGE = 200;
// An upload link in message text, relative or absolute; stops at white space and the usual closing punctuation.
const UPLOAD_LINK = /\/user_uploads\/([^\s?#)\]"'<>]+)/gu;

/** `GET /api/realm`. */
export const getRealm: Handler = (app, c) => {
  const { user } = app.requireSession(c);
  const realm = app.data.realm(user.realmId);
  if (realm === undefined) throw notFound();
  return sendJson(c, 200, {
    id: realm.id,
    name: realm.name,
    iconUrl: app.realmImageUrl(realm, 'icon'),
    logoUrl: app.realmImageUrl(realm, 'logo'),
    nightLogoUrl: app.realmImageUrl(realm, 'night_logo'),
    maxFileUploadBytes: app.maxFileUploadBytes,
    maxImageUploadBytes: app.maxImageUploadBytes,
    quotaBytes: realm.quotaBytes,
    usedBytes: app.data.realmUsedBytes(realm.id),
    userQuotaBytes: realm.userQuotaBytes,
    userUsedBytes: app.data.userUsedBytes(user.id),
  });
};

const MIB = 1024 * 1024;

function quotaMiB(value: unknown, name: string, nullable: boolean): number | null {
  if (value === null && nullable) return null;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > 1024 * 1024) {
    throw badRequest(
      `"${name}" must be a whole number of MiB from 1 to 1048576${nullable ? ', or null for none' : ''}`,
    );
  }
  return value * MIB;
}

/** `PATCH /api/realm/quotas` `{ quotaMiB, userQuotaMiB }` (admins): the realm's quota and the per-user one. */
export const setRealmQuotas: Handler = async (app, c) => {
  const { user } = app.requireAdmin(c);
  const body = await readJsonObject(app.runtime, c);
  const realm = app.data.realm(user.realmId);
  if (realm === undefined) throw notFound();
  const quota =
    'quotaMiB' in body ? (quotaMiB(body.quotaMiB, 'quotaMiB', false) ?? realm.quotaBytes) : realm.quotaBytes;
  const userQuota = 'userQuotaMiB' in body ? quotaMiB(body.userQuotaMiB, 'userQuotaMiB', true) : realm.userQuotaBytes;
  app.data.setQuotas(realm.id, quota, userQuota);
  return sendJson(c, 200, { quotaBytes: quota, userQuotaBytes: userQuota });
};

/** `GET /api/users`. */
export const getUsers: Handler = (app, c) => {
  const { user } = app.requireSession(c);
  return sendJson(c, 200, { users: app.data.usersOfRealm(user.realmId).map((member) => app.userView(member)) });
};

/** `GET /api/channels`. */
export const getChannels: Handler = (app, c) => {
  const { user } = app.requireSession(c);
  const channels = app.data
    .visibleChannels(user)
    .map(({ id, name, isPrivate, subscribed }) => ({ id, name, isPrivate, subscribed }));
  return sendJson(c, 200, { channels });
};

function messageViews(app: ChatApp, viewer: UserRecord, messages: readonly MessageRecord[]): Record<string, unknown>[] {
  const senders = new Map(app.data.usersOfRealm(viewer.realmId).map((member) => [member.id, member]));
  const attachments = app.data.attachmentsOfMessages(messages.map((message) => message.id));
  return messages.map((message) => {
    const sender = senders.get(message.senderId);
    return {
      id: message.id,
      channelId: message.channelId,
      sender: {
        id: message.senderId,
        fullName: sender?.fullName ?? 'unknown',
        avatarUrl: sender === undefined ? null : app.userView(sender).avatarUrl,
      },
      content: message.content,
      createdAt: new Date(message.createdAt).toISOString(),
      attachments: (attachments.get(message.id) ?? []).map((attachment) => app.attachmentView(attachment)),
    };
  });
}

/** The largest group a direct message may go to (Zulip's default limit is similar). */
const MAX_DIRECT_MEMBERS = 20;

function directView(app: ChatApp, viewer: UserRecord, conversation: DirectConversationRecord): Record<string, unknown> {
  const members = new Map(app.data.usersOfRealm(viewer.realmId).map((member) => [member.id, member]));
  return {
    id: conversation.id,
    members: conversation.memberIds
      .map((id) => members.get(id))
      .filter((member) => member !== undefined)
      .map((member) => app.userView(member)),
  };
}

/**
 * The direct conversation of `sender` with `recipients` (ids or emails of users of the sender's realm), created on
 * first use. An unknown recipient, or one of another realm, is a 400 naming it.
 */
export function directConversationWith(
  app: ChatApp,
  sender: UserRecord,
  recipients: readonly (number | string)[],
): DirectConversationRecord {
  if (recipients.length === 0) throw badRequest('a direct message needs at least one recipient');
  const realmUsers = app.data.usersOfRealm(sender.realmId);
  const ids = recipients.map((recipient) => {
    const found = realmUsers.find((member) =>
      typeof recipient === 'number'
        ? member.id === recipient
        : member.email.toLowerCase() === recipient.trim().toLowerCase(),
    );
    if (found === undefined)
      throw badRequest(`Invalid user ${typeof recipient === 'number' ? `ID ${recipient}` : `email '${recipient}'`}`);
    return found.id;
  });
  const members = new Set([sender.id, ...ids]);
  if (members.size > MAX_DIRECT_MEMBERS)
    throw badRequest(`a direct message may have at most ${MAX_DIRECT_MEMBERS} members`);
  return app.data.directConversation(sender.realmId, [...members]);
}

/** `GET /api/direct-messages`: the caller's direct conversations, most recently active first. */
export const getDirectConversations: Handler = (app, c) => {
  const { user } = app.requireSession(c);
  return sendJson(c, 200, {
    conversations: app.data.directConversationsOf(user).map((conversation) => directView(app, user, conversation)),
  });
};

/** `POST /api/direct-messages` `{ userIds }`: finds or starts the conversation of the caller with those users. */
export const startDirectConversation: Handler = async (app, c) => {
  const { user } = app.requireWrite(c);
  const body = await readJsonObject(app.runtime, c);
  const userIds = body.userIds;
  if (!Array.isArray(userIds) || !userIds.every((id): id is number => Number.isSafeInteger(id)))
    throw badRequest('"userIds" must be an array of user ids');
  return sendJson(c, 200, directView(app, user, directConversationWith(app, user, userIds)));
};

/** `GET /api/channels/{id}/messages` (a channel's or a direct conversation's id). */
export const getMessages: Handler = (app, c) => {
  const { user } = app.requireSession(c);
  const channelId = parseId(c.req.param('id'), 'channel id');
  if (app.data.visibleConversation(user, channelId) === undefined) throw notFound();
  const before = c.req.query('before') !== undefined ? parseId(c.req.query('before'), 'before') : undefined;
  const limit =
    c.req.query('limit') !== undefined ? Math.min(parseId(c.req.query('limit'), 'limit'), MAX_PAGE) : DEFAULT_PAGE;
  return sendJson(c, 200, { messages: messageViews(app, user, app.data.messages(channelId, before, limit)) });
};

/** The attachments a message text links that the sender may read; links to anything else grant nothing. */
function linkedAttachments(app: ChatApp, sender: UserRecord, content: string): AttachmentRecord[] {
  const found = new Map<number, AttachmentRecord>();
  for (const match of content.matchAll(UPLOAD_LINK)) {
    let key: string;
    try {
      key = decodeURIComponent(match[1] ?? '');
    } catch {
      continue;
    }
    if (keyProblem(key) !== undefined) continue;
    const attachment = app.data.attachmentByKey(key);
    if (attachment !== undefined && app.data.canRead(sender, attachment)) found.set(attachment.id, attachment);
  }
  return [...found.values()];
}

/** `POST /api/channels/{id}/messages` (a channel's or a direct conversation's id). */
export const postMessage: Handler = async (app, c) => {
  const { user } = app.requireWrite(c);
  const channelId = parseId(c.req.param('id'), 'channel id');
  if (app.data.visibleConversation(user, channelId) === undefined) throw notFound();
  const message = sendMessage(app, user, channelId, requireString(await readJsonObject(app.runtime, c), 'content'));
  return sendJson(c, 201, messageViews(app, user, [message])[0]);
};

/**
 * Posts a message in a channel or direct conversation the sender can see; links in it to uploads the sender may read grant access to
 * them under the usual rule. Used by the web UI's route and by Zulip's `POST /api/v1/messages`.
 */
export function sendMessage(app: ChatApp, user: UserRecord, channelId: number, text: string): MessageRecord {
  const content = text.trim();
  if (content === '') throw badRequest('a message needs some text');
  if (content.length > MAX_MESSAGE_CHARACTERS)
    throw badRequest(`a message may have at most ${MAX_MESSAGE_CHARACTERS} characters`);
  const attachments = linkedAttachments(app, user, content);
  const id = app.data.createMessage(
    channelId,
    user.id,
    content,
    app.now(),
    attachments.map((attachment) => attachment.id),
  );
  const message = app.data.message(id);
  if (message === undefined) throw notFound();
  return message;
}

/** `DELETE /api/messages/{id}`: the sender, or an admin of the realm. */
export const deleteMessage: Handler = (app, c) => {
  const { user } = app.requireWrite(c);
  const message = app.data.message(parseId(c.req.param('id'), 'message id'));
  if (message === undefined || app.data.visibleConversation(user, message.channelId) === undefined) throw notFound();
  if (message.senderId !== user.id && !user.isAdmin)
    throw new ApiError(403, 'Forbidden', 'only the sender or an administrator may delete a message');
  app.data.deleteMessage(message.id, app.now());
  return sendJson(c, 200, {});
};
