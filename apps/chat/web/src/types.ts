/** The shapes the chat server's JSON API returns (see apps/chat/API.md). */

export interface User {
  readonly id: number;
  readonly realmId: number;
  readonly email: string;
  readonly fullName: string;
  readonly isAdmin: boolean;
  readonly avatarUrl: string | null;
  readonly avatarMediumUrl?: string | null;
}

export interface Realm {
  readonly id: number;
  readonly name: string;
  readonly iconUrl: string | null;
  readonly logoUrl: string | null;
  readonly nightLogoUrl: string | null;
  readonly maxFileUploadBytes: number;
  /** Largest avatar, icon, logo or emoji; older servers leave it out. */
  readonly maxImageUploadBytes?: number;
  readonly quotaBytes: number;
  readonly usedBytes: number;
  /** The per-user quota (`null`: none) and what this user holds; older servers leave them out. */
  readonly userQuotaBytes?: number | null;
  readonly userUsedBytes?: number;
}

export interface Channel {
  readonly id: number;
  readonly name: string;
  readonly isPrivate: boolean;
  readonly subscribed: boolean;
}

/** A direct-message conversation; its messages use the channel message routes with its id. */
export interface DirectConversation {
  readonly id: number;
  /** Everyone in it, the signed-in person included. */
  readonly members: readonly User[];
}

export interface Attachment {
  readonly id: number;
  readonly name: string;
  readonly size: number;
  readonly contentType: string;
  /** `/user_uploads/{key}`: the link a message carries. */
  readonly url: string;
  readonly thumbnailUrl: string | null;
  readonly createdAt: string;
}

export interface Message {
  readonly id: number;
  readonly channelId: number;
  readonly sender: { readonly id: number; readonly fullName: string; readonly avatarUrl: string | null };
  readonly content: string;
  readonly createdAt: string;
  readonly attachments: readonly Attachment[];
}

export interface MyAttachment extends Attachment {
  readonly messages: readonly { readonly id: number; readonly channelId: number }[];
}

export interface Emoji {
  readonly id: number;
  readonly name: string;
  readonly url: string;
  readonly authorId: number;
}
