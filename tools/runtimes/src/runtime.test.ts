import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { sourceLauncher } from '../../../packages/stowage/test/run-stowage.ts';

/** `node 24.22.3` or `deno 2.9.6`: what runs this file. */
function runtimeOf(versions: Record<string, string | undefined>): string {
  return versions['deno'] === undefined ? `node ${versions['node'] ?? '?'}` : `deno ${versions['deno']}`;
}

// run.mjs names the runtime it started vitest with; a silent fallback to another binary fails here.
const expected = process.env['STOWAGE_EXPECT_RUNTIME'];

describe('the runtime under test', () => {
  it('runs these tests, and the commands they start, on the runtime run.mjs asked for', () => {
    if (expected === undefined)
      throw new Error('run these suites through tools/runtimes/run.mjs, which sets STOWAGE_EXPECT_RUNTIME');
    const here = runtimeOf(process.versions);
    console.log(`tests run on ${here} (${process.execPath})`);
    expect(here.startsWith(`${expected}.`)).toBe(true);
    const child = spawnSync(
      process.execPath,
      [...sourceLauncher(), fileURLToPath(new URL('../test/print-runtime.ts', import.meta.url))],
      { encoding: 'utf8' },
    );
    expect(child.status, child.stderr).toBe(0);
    expect(child.stdout.trim()).toBe(here);
  });
});
