export { runCli } from './cli.ts';
export type { CliContext } from './cli-context.ts';
export type { TextSink } from './progress-display.ts';
export { EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE } from './exit-codes.ts';
