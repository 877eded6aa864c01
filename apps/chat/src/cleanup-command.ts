import { parseArgs } from 'node:util';
import { ChatData } from './chat-data.ts';
import { openCommandContext } from './command-context.ts';
import { deleteUnlinkedAttachments } from './cleanup.ts';
import { formatBytes } from './http-io.ts';
import { ObjectStoreTusStore } from './tus-object-store.ts';
import { expireTusUploads } from './tus-uploads.ts';

// `npm run cleanup -w @stowage/chat -- --days N`: deletes attachments no message has linked for N days (default 7),
// and resumable uploads past their expiry.
const { values } = parseArgs({ options: { days: { type: 'string', default: '7' } } });
const days = Number(values.days);
if (!Number.isFinite(days) || days < 0) {
  console.error(`--days must be a number of days (0 or more), not ${JSON.stringify(values.days)}`);
  process.exit(2);
}
const { config, db, stores } = await openCommandContext();
const data = new ChatData(db);
const result = await deleteUnlinkedAttachments(data, stores, days * 24 * 60 * 60 * 1000, Date.now());
console.log(`deleted ${result.deleted} attachments (${formatBytes(result.bytes)}) unlinked for ${days} days or more`);
// Resumable uploads abandoned for CHAT_TUS_EXPIRATION_HOURS, as the running server's hourly sweep removes them.
const partial = new ObjectStoreTusStore({
  store: stores.deployment?.uploads ?? stores.uploads,
  expirationMs: config.tusExpirationMs,
});
const expired = await expireTusUploads(data, partial, Date.now());
console.log(
  `removed ${expired.expired} expired resumable uploads (and ${expired.leftovers} left in the store without a record)`,
);
db.close();
