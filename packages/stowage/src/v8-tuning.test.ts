import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PACKAGE_DIRECTORY, SHIPPED_BIN, SOURCE_BIN } from '../test/commands.ts';

/** Runs `node [nodeOptions] args` with `hook` (module code) imported first; returns what the process printed. */
function printed(nodeOptions: readonly string[], hook: readonly string[], args: readonly string[]): string {
  const child = spawnSync(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', ...nodeOptions, '--import', `data:text/javascript,${encodeURIComponent(hook.join('\n'))}`, ...args],
    { cwd: PACKAGE_DIRECTORY, encoding: 'utf8' },
  );
  if (child.status !== 0) throw new Error(`exit ${String(child.status)}: ${child.stderr.slice(-500)}`);
  return child.stdout;
}

/**
 * As the process exits, keeps 100,000 objects alive through 3 million allocations (what makes V8 grow its young
 * generation) and prints the young generation's size in MiB.
 */
const MEASURE_YOUNG_GENERATION = [
  "import { getHeapSpaceStatistics } from 'node:v8';",
  "process.on('exit', () => {",
  '  const ring = new Array(100000);',
  "  for (let index = 0; index < 3e6; index++) ring[index % ring.length] = { index, text: 'x' + String(index) };",
  "  const space = getHeapSpaceStatistics().find((entry) => entry.space_name === 'new_space');",
  "  process.stdout.write('young generation MiB: ' + String((space?.space_size ?? 0) / 1048576) + '\\n');",
  '});',
];

function youngGenerationMiB(args: readonly string[]): number {
  const output = printed([], MEASURE_YOUNG_GENERATION, args);
  const match = /young generation MiB: ([\d.]+)/u.exec(output);
  if (match === null) throw new Error(`no measurement in ${output.slice(-500)}`);
  return Number(match[1]);
}

/**
 * Whether a small function called a thousand times gets optimized: with Node 20's interrupt budget it does after a
 * few hundred calls; with eight times the budget only after a few thousand.
 */
function warmFunctionOptimized(args: readonly string[]): boolean {
  const output = printed(
    ['--trace-opt'],
    [
      "process.on('exit', () => {",
      '  function warmFunction(x) { let sum = 0; for (let i = 0; i < 8; i++) sum += (x * i) % 7; return sum; }',
      '  let total = 0;',
      '  for (let call = 0; call < 1000; call++) total += warmFunction(call);',
      "  process.stdout.write('total ' + String(total) + '\\n');",
      '});',
    ],
    args,
  );
  if (!output.includes('total ')) throw new Error(`the workload did not run: ${output.slice(-500)}`);
  return /compiling method [^\n]*warmFunction/u.test(output);
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

  it('has V8 optimize a function only after it ran several times longer than a plain Node process waits', () => {
    expect(warmFunctionOptimized(['--input-type=module', '-e', ''])).toBe(true);
    expect(warmFunctionOptimized([SOURCE_BIN, '--help'])).toBe(false);
    expect(warmFunctionOptimized([SHIPPED_BIN, '--help'])).toBe(false);
  }, 60_000);
});
