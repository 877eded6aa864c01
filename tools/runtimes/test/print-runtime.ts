// Started through the same launcher as the stowage command: prints the runtime that runs it.
const versions: Record<string, string | undefined> = process.versions;
process.stdout.write(
  versions['deno'] === undefined ? `node ${process.version.slice(1)}\n` : `deno ${versions['deno']}\n`,
);
