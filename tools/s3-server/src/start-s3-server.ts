import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bucketNameProblem } from '@stowage/core';

/** s3rver accepts any well-formed signature made with this pair (its built-in default account). */
export const S3RVER_CREDENTIALS: { readonly accessKeyId: string; readonly secretAccessKey: string } = {
  accessKeyId: 'S3RVER',
  secretAccessKey: 'S3RVER',
};

export interface StartS3ServerOptions {
  /** Buckets created before the server answers. Names must follow S3's bucket naming rules. */
  readonly buckets: readonly string[];
  /** How long to wait for the server to answer before giving up; defaults to 20 seconds. */
  readonly startTimeoutMs?: number;
  /**
   * Serve HTTPS with a certificate for 127.0.0.1 and localhost issued by a test authority
   * (`TEST_TLS_FILES.certificateAuthority`), which no client trusts unless told to.
   */
  readonly tls?: boolean;
}

/** A running s3rver. */
export interface S3TestServer {
  /** `http://127.0.0.1:PORT` (`https:` with `tls`): use it with path-style addressing (`forcePathStyle: true`). */
  readonly endpoint: string;
  readonly port: number;
  /** The server's data directory (removed by `stop()`). */
  readonly directory: string;
  /** Settings an `S3Client` needs to talk to this server: endpoint, region, path style, credentials. */
  readonly clientConfig: {
    readonly endpoint: string;
    readonly region: string;
    readonly forcePathStyle: true;
    readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  };
  /** Stops the server and removes its data directory. Safe to call more than once. Never rejects. */
  stop(): Promise<void>;
}

const CHILD_SCRIPT = fileURLToPath(new URL('../bin/s3rver-child.cjs', import.meta.url));
/**
 * The PEM files a `tls` server uses, for tests only. `certificateAuthority` issued the server's certificate (for
 * 127.0.0.1 and localhost): a client trusts the server when given it (for Node, `NODE_EXTRA_CA_CERTS` set to that
 * file). The authority's own key was not kept, so it can sign nothing else.
 */
export const TEST_TLS_FILES: {
  readonly certificateAuthority: string;
  readonly serverCertificate: string;
  readonly serverKey: string;
} = {
  certificateAuthority: fileURLToPath(new URL('../tls/test-ca.pem', import.meta.url)),
  serverCertificate: fileURLToPath(new URL('../tls/server.pem', import.meta.url)),
  serverKey: fileURLToPath(new URL('../tls/server.key', import.meta.url)),
};
const STOP_GRACE_MS = 5_000;

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function readPort(child: ChildProcess, timeoutMs: number, stderr: () => string): Promise<number> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    const fail = (why: string): void => {
      cleanup();
      const output = stderr().trim();
      reject(new Error(`s3rver did not start: ${why}${output === '' ? '' : `\n${output}`}`));
    };
    const onData = (chunk: Buffer): void => {
      stdout += chunk.toString('utf8');
      const newline = stdout.indexOf('\n');
      if (newline < 0) return;
      const line = stdout.slice(0, newline);
      cleanup();
      try {
        const { port } = JSON.parse(line) as { port: unknown };
        if (typeof port !== 'number') throw new Error(`no port in ${line}`);
        resolve(port);
      } catch (error) {
        reject(new Error(`s3rver printed an unexpected line: ${line}`, { cause: error }));
      }
    };
    const onExit = (code: number | null, signal: string | null): void => {
      fail(`it exited (code ${String(code)}, signal ${String(signal)})`);
    };
    const onError = (error: Error): void => {
      fail(error.message);
    };
    const timer = setTimeout(() => {
      fail(`no answer within ${timeoutMs} ms`);
    }, timeoutMs);
    function cleanup(): void {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
    }
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

/** Resolves on any HTTPS answer from `endpoint`, trusting the test authority. */
function answersOverTls(endpoint: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = httpsRequest(
      `${endpoint}/`,
      { ca: readFileSync(TEST_TLS_FILES.certificateAuthority), timeout: 2_000 },
      (response) => {
        response.resume();
        resolve();
      },
    );
    probe.on('timeout', () => probe.destroy(new Error('no answer within 2 s')));
    probe.on('error', reject);
    probe.end();
  });
}

async function waitUntilAnswering(endpoint: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      // Any HTTP answer (s3rver says 403 to an unsigned list of buckets) proves it serves requests.
      if (endpoint.startsWith('https:')) await answersOverTls(endpoint);
      else {
        const response = await fetch(`${endpoint}/`, { signal: AbortSignal.timeout(2_000) });
        await response.body?.cancel();
      }
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`s3rver at ${endpoint} does not answer`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/**
 * Starts s3rver 3.7.1 in a child process bound to 127.0.0.1 on a free port, with its data in a fresh temporary
 * directory and `buckets` created; resolves once it answers HTTP. Call `stop()` in `afterAll` (it runs on test
 * failure too). If the calling process dies without stopping it, the child notices its closed stdin and exits,
 * removing its directory. Rejects when a bucket name is invalid, or when the server cannot start, with its error
 * output in the message.
 */
export async function startS3Server(options: StartS3ServerOptions): Promise<S3TestServer> {
  const startTimeoutMs = options.startTimeoutMs ?? 20_000;
  // s3rver itself accepts any name, so a typo would only surface as odd failures later.
  for (const bucket of options.buckets) {
    const problem = bucketNameProblem(bucket);
    if (problem !== undefined) throw new Error(`cannot create bucket ${JSON.stringify(bucket)}: the name ${problem}`);
  }
  const directory = await mkdtemp(join(tmpdir(), 'stowage-s3rver-'));
  // Without the legacy provider, s3rver's listing past 1,000 keys (its continuation token cipher) answers 500.
  const tls = options.tls === true;
  const child = spawn(
    process.execPath,
    [
      '--openssl-legacy-provider',
      CHILD_SCRIPT,
      ...(tls ? ['--tls', TEST_TLS_FILES.serverKey, TEST_TLS_FILES.serverCertificate] : []),
      directory,
      ...options.buckets,
    ],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    // Keep only the tail: enough to explain a failed start, bounded for a long run.
    stderr = (stderr + chunk.toString('utf8')).slice(-8_192);
  });

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      child.stdin.end();
      await waitForExit(child, STOP_GRACE_MS);
      await rm(directory, { recursive: true, force: true });
    })();
    return stopped;
  };

  try {
    const port = await readPort(child, startTimeoutMs, () => stderr);
    const endpoint = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
    await waitUntilAnswering(endpoint, startTimeoutMs);
    return {
      endpoint,
      port,
      directory,
      clientConfig: { endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { ...S3RVER_CREDENTIALS } },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
