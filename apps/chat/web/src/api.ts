import { ApiFailure, failureFromResponse } from './api-failure.ts';
import type { Channel, DirectConversation, Emoji, Message, MyAttachment, Realm, User } from './types.ts';

let csrfToken = '';
let sessionEnded: (() => void) | undefined;

/**
 * Called when the server no longer knows the session (expired, or logged out elsewhere), so the page can ask the
 * person to log in again instead of failing call by call.
 */
export function onSessionEnded(listener: () => void): void {
  sessionEnded = listener;
}

/** The token every state-changing request echoes in `X-CSRF-Token`. */
export function currentCsrfToken(): string {
  return csrfToken;
}

async function request(method: string, path: string, body?: BodyInit | object, contentType?: string): Promise<unknown> {
  const headers: Record<string, string> = {};
  if (method !== 'GET') headers['X-CSRF-Token'] = csrfToken;
  let payload: BodyInit | undefined;
  if (body instanceof Blob) {
    payload = body;
    headers['Content-Type'] = contentType ?? (body.type === '' ? 'application/octet-stream' : body.type);
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['Content-Type'] = 'application/json';
  }
  let response: Response;
  try {
    response = await fetch(path, { method, headers, body: payload, credentials: 'same-origin' });
  } catch {
    throw new ApiFailure(0, 'Network', 'the server could not be reached; check your connection and try again');
  }
  const text = await response.text();
  if (!response.ok) {
    const failure = failureFromResponse(response.status, text);
    if (failure.code === 'Unauthenticated') sessionEnded?.();
    throw failure;
  }
  return text === '' ? {} : JSON.parse(text);
}

export interface SessionInfo {
  readonly user: User | null;
  readonly csrfToken: string;
}

export async function fetchSession(): Promise<SessionInfo> {
  const session = (await request('GET', '/api/session')) as SessionInfo;
  csrfToken = session.csrfToken;
  return session;
}

export async function logIn(email: string, password: string): Promise<User> {
  const session = (await request('POST', '/api/login', { email, password })) as SessionInfo & { user: User };
  csrfToken = session.csrfToken;
  return session.user;
}

export async function logOut(): Promise<void> {
  await request('POST', '/api/logout');
}

export async function fetchRealm(): Promise<Realm> {
  return (await request('GET', '/api/realm')) as Realm;
}

export async function fetchUsers(): Promise<readonly User[]> {
  return ((await request('GET', '/api/users')) as { users: User[] }).users;
}

export async function fetchChannels(): Promise<readonly Channel[]> {
  return ((await request('GET', '/api/channels')) as { channels: Channel[] }).channels;
}

export async function fetchDirectConversations(): Promise<readonly DirectConversation[]> {
  return ((await request('GET', '/api/direct-messages')) as { conversations: DirectConversation[] }).conversations;
}

/** Finds or starts the direct conversation with these people (the signed-in person is always in it). */
export async function startDirectConversation(userIds: readonly number[]): Promise<DirectConversation> {
  return (await request('POST', '/api/direct-messages', { userIds })) as DirectConversation;
}

/** Up to `limit` messages of a channel, oldest first: the newest ones, or those before the message `before`. */
export async function fetchMessages(channelId: number, limit: number, before?: number): Promise<readonly Message[]> {
  const query = before === undefined ? `limit=${limit}` : `limit=${limit}&before=${before}`;
  return ((await request('GET', `/api/channels/${channelId}/messages?${query}`)) as { messages: Message[] }).messages;
}

export async function sendMessage(channelId: number, content: string): Promise<Message> {
  return (await request('POST', `/api/channels/${channelId}/messages`, { content })) as Message;
}

export async function deleteMessage(messageId: number): Promise<void> {
  await request('DELETE', `/api/messages/${messageId}`);
}

export interface MyUploads {
  readonly attachments: readonly MyAttachment[];
  readonly usedBytes: number;
  readonly quotaBytes: number;
  readonly userUsedBytes?: number;
  readonly userQuotaBytes?: number | null;
  /** Lengths of resumable uploads not yet complete, held against the quotas on top of the used bytes. */
  readonly pendingBytes?: number;
  readonly userPendingBytes?: number;
}

export async function fetchMyUploads(): Promise<MyUploads> {
  return (await request('GET', '/api/attachments')) as MyUploads;
}

export async function deleteAttachment(attachmentId: number): Promise<void> {
  await request('DELETE', `/api/attachments/${attachmentId}`);
}

export async function uploadAvatar(file: Blob): Promise<{ avatarUrl: string; avatarMediumUrl?: string | null }> {
  return (await request('POST', '/api/users/me/avatar', file)) as {
    avatarUrl: string;
    avatarMediumUrl?: string | null;
  };
}

export async function removeAvatar(): Promise<void> {
  await request('DELETE', '/api/users/me/avatar');
}

/** Which organization image: the square icon, or the logo for light or dark backgrounds. */
export type RealmImageKind = 'icon' | 'logo' | 'night_logo';

export async function uploadRealmImage(kind: RealmImageKind, file: Blob): Promise<void> {
  const path = kind === 'icon' ? '/api/realm/icon' : kind === 'logo' ? '/api/realm/logo' : '/api/realm/logo?night=1';
  await request('POST', path, file);
}

export async function fetchEmoji(): Promise<readonly Emoji[]> {
  return ((await request('GET', '/api/realm/emoji')) as { emoji: Emoji[] }).emoji;
}

export async function addEmoji(name: string, file: Blob): Promise<Emoji> {
  return (await request('POST', `/api/realm/emoji?name=${encodeURIComponent(name)}`, file)) as Emoji;
}

export async function deleteEmoji(emojiId: number): Promise<void> {
  await request('DELETE', `/api/realm/emoji/${emojiId}`);
}

/** Sets the organization's upload quota and the per-user one (`null`: none), in MiB; administrators only. */
export async function setQuotas(quotaMiB: number, userQuotaMiB: number | null): Promise<void> {
  await request('PATCH', '/api/realm/quotas', { quotaMiB, userQuotaMiB });
}

/** The logged-in user's API key for Zulip's clients (HTTP Basic auth with the email). */
export async function fetchApiKey(): Promise<{ email: string; apiKey: string }> {
  return (await request('GET', '/api/api-key')) as { email: string; apiKey: string };
}
