import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseStorageSettings } from '@stowage/core';
import { runStowage } from '../../test/run-stowage.ts';
import type { RunOptions, RunResult } from '../../test/run-stowage.ts';
import { expectFaithfulCopy, writeZulipUploads } from '../../test/zulip-uploads.ts';
import type { FixtureObject } from '../../test/zulip-uploads.ts';
import { openStores } from '../open-stores.ts';
import type { Stores } from '../open-stores.ts';

const MIB = 1024 * 1024;

let scratch: string;
let source: string;
let fixture: FixtureObject[];
let local: Stores;

function run(args: readonly string[], options: Omit<RunOptions, 'stateHome'> = {}): Promise<RunResult> {
  return runStowage(args, {}, { ...options, stateHome: join(scratch, 'state') });
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'stowage-cli-local-'));
  source = join(scratch, 'uploads');
  fixture = await writeZulipUploads(source, { largeSizes: [12 * MIB, 8 * MIB], attachments: 30 });
  local = openStores(parseStorageSettings({ LOCAL_UPLOADS_DIR: source }));
}, 120_000);

afterAll(async () => {
  local.close();
  await rm(scratch, { recursive: true, force: true });
});

// The command in its own process, as an operator runs it, on whichever runtime runs the tests (see run-stowage.ts).
describe('stowage migrate between local directories', () => {
  it('stops cleanly on SIGINT with exit code 130, leaving only whole objects, and a rerun finishes', async () => {
    const target = join(scratch, 'interrupted');
    const args = [
      'migrate',
      '--from',
      `local:${source}`,
      '--to',
      `local:${target}`,
      '--progress',
      'json',
      '--progress-interval',
      '0',
      '--concurrency',
      '2',
    ];
    const stopped = await run(args, {
      killWhen: (state) => state.namespace === 'uploads' && state.objectsDone >= 5,
      signal: 'SIGINT',
    });
    expect(stopped.code, stopped.stderr.slice(-500)).toBe(130);
    expect(stopped.stderr).toContain('run the same command again to resume');
    const targets = openStores(parseStorageSettings({ LOCAL_UPLOADS_DIR: target }));
    await expectFaithfulCopy(fixture, local, targets, false);
    const finished = await run([...args.slice(0, 5), '--progress', 'none']);
    expect(finished.code, finished.stderr).toBe(0);
    await expectFaithfulCopy(fixture, local, targets, true);
    targets.close();
  }, 120_000);

  it('survives SIGKILL during a large object: the rerun copies the rest and leaves nothing partial', async () => {
    const target = join(scratch, 'killed');
    const args = [
      'migrate',
      '--from',
      `local:${source}`,
      '--to',
      `local:${target}`,
      '--progress',
      'json',
      '--progress-interval',
      '0',
      '--concurrency',
      '2',
    ];
    const killed = await run(args, {
      killWhen: (state) =>
        state.namespace === 'uploads' && state.bytesCopied - state.copiedBytesOfDoneObjects >= 2 * MIB,
    });
    expect(killed.signal, killed.stderr.slice(-500)).toBe('SIGKILL');
    const targets = openStores(parseStorageSettings({ LOCAL_UPLOADS_DIR: target }));
    await expectFaithfulCopy(fixture, local, targets, false);
    const rerun = await run([...args.slice(0, 5), '--progress', 'none']);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stdout).toMatch(/^uploads: copied \d+ objects .* skipped \d+ already there, 0 failed/mu);
    await expectFaithfulCopy(fixture, local, targets, true);
    targets.close();
  }, 120_000);

  it('lists a store as JSON lines in key order, and checks a local deployment', async () => {
    const listed = await run(['ls', '--store', `local:${source}`, '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    const lines = listed.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { namespace: string; key: string; size: number });
    expect(lines.length).toBe(fixture.length);
    for (const namespace of ['uploads', 'avatars']) {
      const keys = lines.filter((line) => line.namespace === namespace).map((line) => line.key);
      expect(keys).toEqual(
        fixture
          .filter((object) => object.namespace === namespace)
          .map((object) => object.key)
          .sort(),
      );
    }
    await mkdir(join(scratch, 'checked'));
    const checked = await runStowage(
      ['check'],
      { LOCAL_UPLOADS_DIR: join(scratch, 'checked') },
      { stateHome: join(scratch, 'state') },
    );
    expect(checked.code, checked.stderr).toBe(0);
    expect(checked.stdout).toMatch(/^ok\s+avatars\s+delete: deleted stowage-check\//mu);
  }, 120_000);
});
