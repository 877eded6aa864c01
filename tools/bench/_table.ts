import { spawnSync } from 'node:child_process';
import process from 'node:process';

/** Prints rows as an aligned plain-text table: benchmarks share one look. */
export function printTable(title: string, header: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = header.map((cell, column) => Math.max(cell.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ');
  console.log(`\n${title}`);
  console.log(line(header));
  console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  for (const row of rows) console.log(line(row));
}

/**
 * Runs a bench script again on Deno (the workspace's `deno` package, through npx), with the same arguments plus
 * `--no-deno`, its output printed as it comes; a Deno that cannot run is reported, not fatal.
 */
export function runOnDeno(script: string): void {
  console.log('\nThe same on Deno:');
  const args = ['deno', 'run', '--allow-all', '--v8-flags=--expose-gc', script, ...process.argv.slice(2), '--no-deno'];
  const result = spawnSync('npx', args, { stdio: 'inherit' });
  if (result.status !== 0) console.log(`Deno run failed (exit ${String(result.status)}): npx ${args.join(' ')}`);
}
