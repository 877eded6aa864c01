import { spawnSync } from 'node:child_process';
import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JournalEntry, MigrationJournal } from '@stowage/migrate';
import { defaultJournalDirectory, fileJournal, journalPath } from './journal-file.ts';

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'stowage-journal-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

function entry(key: string): JournalEntry {
  return { key, size: 3, sha256: `sha-${key}`, sourceEtag: `"s-${key}"`, sourceModified: 1_700_000_000_123, targetEtag: `"t-${key}"` };
}

async function all(journal: MigrationJournal): Promise<JournalEntry[]> {
  const read: JournalEntry[] = [];
  for await (const item of journal.read()) read.push(item);
  return read;
}

async function written(journal: MigrationJournal, entries: readonly JournalEntry[]): Promise<void> {
  const writer = await journal.write();
  for (const item of entries) await writer.append(item);
  await writer.commit();
}

describe('file journal', () => {
  it('reads nothing before the first run, then exactly what the last committed run wrote', async () => {
    const journal = fileJournal(join(scratch, 'a', 'one.journal'));
    expect(await all(journal)).toEqual([]);
    await written(journal, [entry('a/1'), entry('a/\u00e9 "q"\n')]);
    expect(await all(journal)).toEqual([entry('a/1'), entry('a/\u00e9 "q"\n')]);
    await written(journal, [entry('b')]);
    expect(await all(journal)).toEqual([entry('b')]);
  });

  it('keeps the earlier journal when a run discards its own, and leaves no temporary file', async () => {
    const path = join(scratch, 'b', 'two.journal');
    const journal = fileJournal(path);
    await written(journal, [entry('kept')]);
    const writer = await journal.write();
    await writer.append(entry('dropped'));
    await writer.discard();
    expect(await all(journal)).toEqual([entry('kept')]);
    expect(await readdir(join(scratch, 'b'))).toEqual(['two.journal']);
  });

  it('trusts entries only up to a torn or foreign line, and nothing of a file without its header', async () => {
    const path = join(scratch, 'c.journal');
    const journal = fileJournal(path);
    await written(journal, [entry('a'), entry('b')]);
    await appendFile(path, '["c",3,"sha-c"');
    expect(await all(journal)).toEqual([entry('a'), entry('b')]);
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.replace('["b",3', '["b","3"'));
    expect(await all(journal)).toEqual([entry('a')]);
    await writeFile(path, text.split('\n').slice(1).join('\n'));
    expect(await all(journal)).toEqual([]);
  });

  it('removes temporary journals of runs that were killed, not of runs still going', async () => {
    const path = join(scratch, 'd', 'three.journal');
    const journal = fileJournal(path);
    await written(journal, []);
    const abandoned = `${path}.999999999.tmp`;
    const live = `${path}.${process.ppid}.tmp`;
    await writeFile(abandoned, 'x');
    await writeFile(live, 'x');
    await written(journal, [entry('z')]);
    expect((await readdir(join(scratch, 'd'))).sort()).toEqual(['three.journal', 'three.journal.' + String(process.ppid) + '.tmp']);
  });

  it('folds in what a killed run had written: its entries, then the committed ones after its last key', async () => {
    const path = join(scratch, 'e', 'four.journal');
    const journal = fileJournal(path);
    await written(journal, [entry('a'), entry('b'), entry('c'), entry('d')]);
    // A run that got as far as "b" (with a newer proof for "a") before it was killed mid-line.
    const child = spawnSync(process.execPath, ['-e', '']);
    const deadPid = child.pid;
    const newerA = { ...entry('a'), targetEtag: '"t-a-2"' };
    const killed = `${path}.${deadPid}.tmp`;
    await writeFile(killed, `${JSON.stringify({ journal: 'stowage-migrate', version: 1 })}\n${JSON.stringify(['a', 3, 'sha-a', '"s-a"', 1_700_000_000_123, '"t-a-2"'])}\n${JSON.stringify(['b', 3, 'sha-b', '"s-b"', 1_700_000_000_123, '"t-b"'])}\n["c",3,`);
    const reopened = fileJournal(path);
    expect(await all(reopened)).toEqual([newerA, entry('b'), entry('c'), entry('d')]);
    expect(await readdir(join(scratch, 'e'))).toEqual(['four.journal']);
    // A later run starts from the salvaged journal.
    const writer = await fileJournal(path).write();
    await writer.discard();
    expect(await all(fileJournal(path))).toEqual([newerA, entry('b'), entry('c'), entry('d')]);
  });

  it('names one file per source and target, under the XDG state directory by default', () => {
    expect(defaultJournalDirectory({ XDG_STATE_HOME: '/state' })).toBe('/state/stowage/migrate');
    expect(defaultJournalDirectory({ HOME: '/home/op' })).toBe('/home/op/.local/state/stowage/migrate');
    const one = journalPath('/j', ['local:/a', '', 's3://b', 'http://h:1']);
    expect(one).toMatch(/^\/j\/[0-9a-f]{32}\.journal$/u);
    expect(journalPath('/j', ['local:/a', '', 's3://b', 'http://h:2'])).not.toBe(one);
  });
});
