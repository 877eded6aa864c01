#!/usr/bin/env node
import { EXIT_INTERRUPTED, runCli } from './index.ts';
import { StatusLineSink } from './status-line.ts';

const stderr = new StatusLineSink({ write: (text) => process.stderr.write(text) });

// Node prints a process warning (such as the AWS SDK's NodeVersionSupportWarning) straight to stderr, which would
// land in the middle of the progress bar. Its printer is an ordinary 'warning' listener: replace it with one that
// prints the same text above the bar. Warnings stay visible; `--no-warnings` or NODE_NO_WARNINGS=1 still hide them.
if (process.listenerCount('warning') > 0) {
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    stderr.note(`(stowage:${process.pid}) ${warning.name}: ${warning.message}`);
  });
}

const interruption = new AbortController();
let signalled = 0;
const onSignal = (signal: NodeJS.Signals): void => {
  // The first signal stops the run cleanly (in-flight puts are aborted, the target keeps whole objects only);
  // a second one means the operator will not wait.
  if (++signalled > 1) process.exit(EXIT_INTERRUPTED);
  stderr.note(`stowage: ${signal}: stopping (press again to quit at once)`);
  interruption.abort(new Error(`interrupted by ${signal}`));
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

const code = await runCli(process.argv.slice(2), {
  env: process.env,
  stdout: { write: (text) => process.stdout.write(text) },
  stderr,
  interactive: process.stderr.isTTY,
  signal: interruption.signal,
});
process.exitCode = code;
