import type { ChatData } from './chat-data.ts';
import type { ChatStores } from './chat-stores.ts';

export interface CleanupResult {
  readonly deleted: number;
  readonly bytes: number;
}

/**
 * Deletes the attachments no message has linked for at least `unlinkedForMs`: uploads never posted, and files
 * whose last linking message was deleted. The objects go first, then the record, so a storage failure leaves the
 * attachment listed for the next run instead of a record pointing at nothing.
 */
export async function deleteUnlinkedAttachments(
  data: ChatData,
  stores: ChatStores,
  unlinkedForMs: number,
  now: number,
): Promise<CleanupResult> {
  let deleted = 0;
  let bytes = 0;
  for (const attachment of data.attachmentsUnlinkedBefore(now - unlinkedForMs)) {
    const keys = attachment.thumbnailKey === null ? [attachment.key] : [attachment.key, attachment.thumbnailKey];
    await stores.uploads.deleteMany(keys);
    data.deleteAttachment(attachment.id);
    deleted++;
    bytes += attachment.size;
  }
  return { deleted, bytes };
}
