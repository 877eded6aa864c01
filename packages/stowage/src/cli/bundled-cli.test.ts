import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseStorageSettings } from '@stowage/core';
import { SHIPPED_BIN } from '../../test/commands.ts';
import { expectFaithfulCopy, writeZulipUploads } from '../../test/zulip-uploads.ts';
import { openStores } from '../open-stores.ts';

let scratch: string;

beforeEach(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'stowage-bundled-'));
});

afterEach(async () => {
  await rm(scratch, { recursive: true, force: true });
});

// The tests run the command from source; this runs what the package ships (its `bin`, made by the build).
describe('the built stowage command', () => {
  it('migrates a Zulip uploads directory between two local stores, faithfully', async () => {
    const source = join(scratch, 'source');
    const target = join(scratch, 'target');
    const fixture = await writeZulipUploads(source, { largeSizes: [3 * 1024 * 1024], attachments: 5 });
    const report = join(scratch, 'report.json');
    const run = spawnSync(
      process.execPath,
      [
        SHIPPED_BIN,
        'migrate',
        '--from',
        `local:${source}`,
        '--to',
        `local:${target}`,
        '--progress',
        'none',
        '--report',
        report,
      ],
      {
        encoding: 'utf8',
        env: { ...process.env, XDG_STATE_HOME: join(scratch, 'state') },
      },
    );
    expect(run.stderr).not.toMatch(/error/iu);
    expect(run.status).toBe(0);
    const written = JSON.parse(await readFile(report, 'utf8')) as { ok: boolean; copied: unknown };
    expect(written).toMatchObject({ ok: true, copied: fixture.length });
    const stores = (directory: string) => openStores(parseStorageSettings({ LOCAL_UPLOADS_DIR: directory }));
    await expectFaithfulCopy(fixture, stores(source), stores(target), true);
  }, 60_000);

  it('answers a usage error with exit code 2 and its usage', () => {
    const run = spawnSync(process.execPath, [SHIPPED_BIN, 'migrate', '--concurrency', 'many'], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('usage: stowage migrate');
  });

  it('prints the package version, and answers a missing --settings file with exit code 2 naming it', async () => {
    const manifest = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    const version = spawnSync(process.execPath, [SHIPPED_BIN, '--version'], { encoding: 'utf8' });
    expect(version).toMatchObject({ status: 0, stdout: `stowage ${manifest.version}\n` });
    const missing = join(scratch, 'missing.env');
    const run = spawnSync(process.execPath, [SHIPPED_BIN, 'check', '--settings', missing], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`cannot read the settings file ${missing}`);
  });
});
