import { parseArgs } from 'node:util';
import { ChatData } from './chat-data.ts';
import { openCommandContext } from './command-context.ts';
import { deleteUnlinkedAttachments } from './cleanup.ts';
import { formatBytes } from './http-io.ts';

// `npm run cleanup -w @stowage/chat -- --days N`: deletes attachments no message has linked for N days (default 7).
const { values } = parseArgs({ options: { days: { type: 'string', default: '7' } } });
const days = Number(values.days);
if (!Number.isFinite(days) || days < 0) {
  console.error(`--days must be a number of days (0 or more), not ${JSON.stringify(values.days)}`);
  process.exit(2);
}
const { db, stores } = await openCommandContext();
const result = await deleteUnlinkedAttachments(new ChatData(db), stores, days * 24 * 60 * 60 * 1000, Date.now());
console.log(`deleted ${result.deleted} attachments (${formatBytes(result.bytes)}) unlinked for ${days} days or more`);
db.close();
