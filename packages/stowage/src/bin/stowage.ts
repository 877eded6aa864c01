#!/usr/bin/env node
import { runCli } from '../cli.ts';
import { EXIT_INTERRUPTED } from '../exit-codes.ts';

const interruption = new AbortController();
let signalled = 0;
const onSignal = (signal: NodeJS.Signals): void => {
  // The first signal stops the run cleanly (in-flight puts are aborted, the target keeps whole objects only);
  // a second one means the operator will not wait.
  if (++signalled > 1) process.exit(EXIT_INTERRUPTED);
  process.stderr.write(`\nstowage: ${signal}: stopping (press again to quit at once)\n`);
  interruption.abort(new Error(`interrupted by ${signal}`));
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

const code = await runCli(process.argv.slice(2), {
  env: process.env,
  stdout: { write: (text) => process.stdout.write(text) },
  stderr: { write: (text) => process.stderr.write(text) },
  interactive: process.stderr.isTTY,
  signal: interruption.signal,
});
process.exitCode = code;
