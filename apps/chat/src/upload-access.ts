import type { AttachmentRecord, ChatData, UserRecord } from './chat-data.ts';
import { attachmentKeyOfThumbnail } from './upload-keys.ts';

/** How long a signed link to an upload stays valid (Zulip's 60 s). */
export const SIGNED_LINK_SECONDS = 60;

export interface UploadTarget {
  readonly attachment: AttachmentRecord;
  /** The name a browser is offered for this object. */
  readonly filename: string;
}

/**
 * The attachment a `/user_uploads/` key belongs to (the file itself, or its thumbnail), or `undefined` when there
 * is no such attachment or thumbnail.
 */
export function uploadTarget(data: ChatData, key: string): UploadTarget | undefined {
  const ofThumbnail = attachmentKeyOfThumbnail(key);
  if (ofThumbnail === undefined) {
    const attachment = data.attachmentByKey(key);
    return attachment === undefined ? undefined : { attachment, filename: attachment.name };
  }
  const attachment = data.attachmentByKey(ofThumbnail);
  if (attachment?.thumbnailKey !== key) return undefined;
  return { attachment, filename: `${attachment.name}.webp` };
}

/** The target when `user` may read it; missing and forbidden are the same `undefined`. */
export function readableTarget(data: ChatData, user: UserRecord, key: string): UploadTarget | undefined {
  const target = uploadTarget(data, key);
  return target !== undefined && data.canRead(user, target.attachment) ? target : undefined;
}
