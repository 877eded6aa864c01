import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PACKAGE_DIRECTORY, SHIPPED_BIN, SOURCE_BIN } from '../test/commands.ts';

/**
 * Node options that, as the process exits, keep 100,000 objects alive through 3 million allocations (what makes
 * V8 grow its young generation) and print the young generation's size in MiB.
 */
const MEASURE_YOUNG_GENERATION = [
  '--import',
  `data:text/javascript,${encodeURIComponent(
    [
      "import { getHeapSpaceStatistics } from 'node:v8';",
      "process.on('exit', () => {",
      '  const ring = new Array(100000);',
      "  for (let index = 0; index < 3e6; index++) ring[index % ring.length] = { index, text: 'x' + String(index) };",
      "  const space = getHeapSpaceStatistics().find((entry) => entry.space_name === 'new_space');",
      "  process.stdout.write('young generation MiB: ' + String((space?.space_size ?? 0) / 1048576) + '\\n');",
      '});',
    ].join('\n'),
  )}`,
];

function youngGenerationMiB(args: readonly string[]): number {
  const child = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', ...MEASURE_YOUNG_GENERATION, ...args], {
    cwd: PACKAGE_DIRECTORY,
    encoding: 'utf8',
  });
  const match = /young generation MiB: ([\d.]+)/u.exec(child.stdout);
  if (match === null) throw new Error(`no measurement (exit ${String(child.status)}): ${child.stderr.slice(-500)}`);
  return Number(match[1]);
}

describe('the stowage command', () => {
  it('keeps V8 from growing its young generation, which a plain Node process grows to many times its size', () => {
    const plain = youngGenerationMiB(['--input-type=module', '-e', '']);
    const stowage = youngGenerationMiB([SOURCE_BIN, '--help']);
    const shipped = youngGenerationMiB([SHIPPED_BIN, '--help']);
    expect(plain).toBeGreaterThanOrEqual(8);
    expect(stowage).toBeLessThanOrEqual(4);
    expect(shipped).toBeLessThanOrEqual(4);
  }, 60_000);
});
