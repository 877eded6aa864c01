import type { Environment } from '@stowage/core';
import type { TextSink } from './progress-display.ts';

/** What a command may touch: injected so the commands run the same in a test as in the real process. */
export interface CliContext {
  /** Settings are read from here unless `--settings` names a file. */
  readonly env: Environment;
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  /** Whether stderr is a terminal: decides between a progress bar and plain lines. */
  readonly interactive: boolean;
  /** Fires on SIGINT or SIGTERM. */
  readonly signal: AbortSignal;
}
