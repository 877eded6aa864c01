import { parseArgs } from 'node:util';
import { ChatData } from './chat-data.ts';
import { openCommandContext } from './command-context.ts';
import { sweepOrphans } from './orphan-cleanup.ts';

// `npm run cleanup-storage -w @stowage/chat -- [--delete] [--grace-hours 24]`: lists (or deletes) stored uploads and
// thumbnails no attachment references. Prints one JSON line per orphan, then the JSON report.
const { values } = parseArgs({
  options: { delete: { type: 'boolean', default: false }, 'grace-hours': { type: 'string', default: '24' } },
});
const graceHours = Number(values['grace-hours']);
if (!Number.isFinite(graceHours) || graceHours < 0) {
  console.error(`--grace-hours must be a number of hours (0 or more), not ${JSON.stringify(values['grace-hours'])}`);
  process.exit(2);
}
const { config, db, stores } = await openCommandContext();
const data = new ChatData(db);
if (data.realms().length === 0) {
  // An empty database would make every stored object an orphan: a wrong CHAT_DATA_DIR, not a store to empty.
  console.error(
    `the database ${config.databasePath} has no organizations; check CHAT_DATA_DIR. Nothing was listed or deleted.`,
  );
  stores.close();
  db.close();
  process.exit(2);
}
try {
  const report = await sweepOrphans(data, stores.uploads, {
    delete: values.delete,
    graceMs: graceHours * 60 * 60 * 1000,
    now: Date.now(),
    onOrphan: (orphan, namespace) => {
      console.log(
        JSON.stringify({
          orphan: orphan.key,
          namespace,
          size: orphan.size,
          lastModified: orphan.lastModified.toISOString(),
          deleted: values.delete,
        }),
      );
    },
  });
  console.log(JSON.stringify({ report }));
} finally {
  stores.close();
  db.close();
}
