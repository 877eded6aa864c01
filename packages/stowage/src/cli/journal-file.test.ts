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
  return {
    key,
    size: 3,
    sha256: `sha-${key}`,
    sourceEtag: `"s-${key}"`,
    sourceModified: 1_700_000_000_123,
    targetEtag: `"t-${key}"`,
  };
}

async function batchesOf(journal: MigrationJournal): Promise<JournalEntry[][]> {
  const read: JournalEntry[][] = [];
  for await (const batch of journal.read()) read.push([...batch]);
  return read;
}

async function all(journal: MigrationJournal): Promise<JournalEntry[]> {
  return (await batchesOf(journal)).flat();
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

  it('reads a journal longer than one read in several batches, a character split between two reads whole', async () => {
    const path = join(scratch, 'long.journal');
    const journal = fileJournal(path);
    const header = `${JSON.stringify({ journal: 'stowage-migrate', version: 1 })}\n`;
    const line = (item: JournalEntry): string =>
      `${JSON.stringify([item.key, item.size, item.sha256, item.sourceEtag, item.sourceModified, item.targetEtag])}\n`;
    // About 600 KiB of keys made of two-byte characters, the first key padded so that the first read (256 KiB)
    // ends inside a character.
    const readBytes = 256 * 1024;
    let entries: JournalEntry[] = [];
    for (let padding = 0; ; padding++) {
      entries = Array.from({ length: 3000 }, (_unused, index) =>
        entry(`${index === 0 ? 'p'.repeat(padding) : ''}k/${String(index).padStart(5, '0')}/${'\u00e9'.repeat(50)}`),
      );
      const before = Buffer.from(header + entries.map(line).join('')).subarray(0, readBytes);
      if (before.toString('utf8').endsWith('\ufffd')) break;
    }
    await written(journal, entries);
    const batches = await batchesOf(journal);
    expect(batches.length).toBeGreaterThanOrEqual(3);
    expect(batches.flat()).toEqual(entries);
    // A torn line in the third read ends trust there, keeping every entry before it.
    const lines = (await readFile(path, 'utf8')).split('\n');
    lines[2501] = '["k/02500",';
    await writeFile(path, lines.join('\n'));
    expect(await all(journal)).toEqual(entries.slice(0, 2500));
  });

  it('reads a last entry with no newline after it', async () => {
    const path = join(scratch, 'no-newline.journal');
    const journal = fileJournal(path);
    await written(journal, [entry('a'), entry('b')]);
    await writeFile(path, (await readFile(path, 'utf8')).trimEnd());
    expect(await all(journal)).toEqual([entry('a'), entry('b')]);
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
    expect((await readdir(join(scratch, 'd'))).sort()).toEqual([
      'three.journal',
      'three.journal.' + String(process.ppid) + '.tmp',
    ]);
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
    await writeFile(
      killed,
      `${JSON.stringify({ journal: 'stowage-migrate', version: 1 })}\n${JSON.stringify(['a', 3, 'sha-a', '"s-a"', 1_700_000_000_123, '"t-a-2"'])}\n${JSON.stringify(['b', 3, 'sha-b', '"s-b"', 1_700_000_000_123, '"t-b"'])}\n["c",3,`,
    );
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
