import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { PACKAGE_DIRECTORY, SOURCE_BIN } from './commands.ts';

/** How to run the command: where its journals go (a scratch directory, not the tester's home), and when to stop it. */
export interface RunOptions {
  readonly stateHome: string;
  /** Follows the run's JSON progress and sends `signal` the moment this holds. */
  readonly killWhen?: ((state: RunState) => boolean) | undefined;
  readonly signal?: NodeJS.Signals | undefined;
}

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** When the command first wrote to stderr (its first line comes once it has started): `Date.now()` time. */
  readonly firstStderrAt: number | undefined;
}

export interface RunState {
  objectsDone: number;
  copiedBytesOfDoneObjects: number;
  bytesCopied: number;
  namespace: string;
  objectsTotal: number | undefined;
}

/**
 * How the running runtime starts a TypeScript file from source: Node through tsx, by default. Another runtime's
 * test runner injects its own (Deno: `["run", "-A", "--conditions=@stowage/source"]`) as a JSON array in
 * `STOWAGE_SOURCE_LAUNCHER`, so the command runs on the runtime that runs the tests.
 */
export function sourceLauncher(): readonly string[] {
  const injected = process.env['STOWAGE_SOURCE_LAUNCHER'];
  if (injected === undefined || injected === '') return ['--conditions=@stowage/source', '--import', 'tsx'];
  const parsed: unknown = JSON.parse(injected);
  if (!Array.isArray(parsed) || !parsed.every((arg) => typeof arg === 'string')) {
    throw new Error(`STOWAGE_SOURCE_LAUNCHER must be a JSON array of strings, not ${injected}`);
  }
  return parsed;
}

/** Runs the real `stowage` command from source in its own process, as an operator would, on the tests' runtime. */
export function runStowage(
  args: readonly string[],
  env: Record<string, string>,
  options: RunOptions,
): Promise<RunResult> {
  const { killWhen, signal = 'SIGKILL' } = options;
  const child = spawn(process.execPath, [...sourceLauncher(), SOURCE_BIN, ...args], {
    cwd: PACKAGE_DIRECTORY,
    // Journals go to the scratch directory, not the home of whoever runs the tests.
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? tmpdir(),
      XDG_STATE_HOME: options.stateHome,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let firstStderrAt: number | undefined;
  let pending = '';
  let signalSent = false;
  const state: RunState = {
    objectsDone: 0,
    copiedBytesOfDoneObjects: 0,
    bytesCopied: 0,
    namespace: '',
    objectsTotal: undefined,
  };
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    firstStderrAt ??= Date.now();
    stderr += text;
    if (killWhen === undefined) return;
    pending += text;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      const event = JSON.parse(line) as {
        event: string;
        namespace: string;
        outcome?: string;
        size?: number;
        bytesCopied?: number;
        objectsTotal?: number;
      };
      if (event.namespace !== state.namespace) {
        Object.assign(state, {
          namespace: event.namespace,
          objectsDone: 0,
          copiedBytesOfDoneObjects: 0,
          bytesCopied: 0,
          objectsTotal: undefined,
        });
      }
      if (event.event === 'object') {
        state.objectsDone++;
        if (event.outcome === 'copied') state.copiedBytesOfDoneObjects += event.size ?? 0;
      } else {
        state.bytesCopied = event.bytesCopied ?? 0;
        state.objectsTotal = event.objectsTotal ?? undefined;
      }
      if (child.exitCode === null && !signalSent && child.pid !== undefined && killWhen(state)) {
        signalSent = true;
        // Not `child.kill`: Deno's node:child_process then reports the signal it sent as the way the child ended,
        // even when the child caught it and exited with a code of its own (130 for SIGINT).
        process.kill(child.pid, signal);
      }
    }
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      resolve({ code, signal, stdout, stderr, firstStderrAt });
    });
  });
}
