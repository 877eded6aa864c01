import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { access, constants, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { bucketNameProblem } from '@stowage/core';

/** The Debian packages that provide the programs the launcher runs (Debian 12 ships Ceph 16.2). */
export const CEPH_DEBIAN_PACKAGES: readonly string[] = ['ceph-mon', 'ceph-osd', 'radosgw', 'ceph-common'];

/** Each program the launcher runs, and the Debian package it comes from. */
const PROGRAMS = {
  'ceph-authtool': 'ceph-common',
  monmaptool: 'ceph-base',
  'ceph-mon': 'ceph-mon',
  ceph: 'ceph-common',
  'ceph-osd': 'ceph-osd',
  radosgw: 'radosgw',
  'radosgw-admin': 'ceph-common',
} as const;
type Program = keyof typeof PROGRAMS;

/** Thrown when a Ceph program is not installed; names the programs and the Debian packages to install. */
export class CephNotInstalledError extends Error {
  override readonly name = 'CephNotInstalledError';
  readonly missing: readonly { readonly program: string; readonly debianPackage: string }[];
  constructor(missing: readonly { readonly program: string; readonly debianPackage: string }[]) {
    const packages = [...new Set(missing.map((entry) => entry.debianPackage))];
    super(
      `Ceph is not installed: ${missing.map((entry) => `${entry.program} (Debian package ${entry.debianPackage})`).join(', ')} ` +
        `not found on PATH. Install with: apt-get install --no-install-recommends ${CEPH_DEBIAN_PACKAGES.join(' ')} ` +
        `(missing here: ${packages.join(', ')}), or run tools/install-system-deps.sh.`,
    );
    this.missing = missing;
  }
}

export interface StartCephServerOptions {
  /** Buckets created before the gateway is handed over. Names must follow S3's bucket naming rules. */
  readonly buckets?: readonly string[];
  /** How long to wait for the cluster and gateway to come up; defaults to 180 seconds (a loaded CI machine). */
  readonly startTimeoutMs?: number;
  /**
   * Where the OSD keeps objects. `bluestore` (the default) writes them to a sparse 10 GiB file in the server's
   * directory with a 128 MiB cache, so the daemons' memory stays about flat however much a run stores. `memstore`
   * holds them in the OSD's memory: it starts about 3 s sooner, but the OSD grows by about twice the bytes stored.
   */
  readonly objectStore?: 'memstore' | 'bluestore';
}

export interface CephCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** What a client needs to reach a running gateway; plain data, so it can cross process boundaries. */
export interface CephServerConnection {
  /** `http://127.0.0.1:PORT`: use it with path-style addressing (`forcePathStyle: true`). */
  readonly endpoint: string;
  readonly port: number;
  /** The S3 user's keys: the gateway checks every signature against them. */
  readonly credentials: CephCredentials;
  /** Settings an `S3Client` needs to talk to this gateway: endpoint, region, path style, credentials. */
  readonly clientConfig: {
    readonly endpoint: string;
    readonly region: string;
    readonly forcePathStyle: true;
    readonly credentials: CephCredentials;
  };
  /** The cluster's directory: configuration, keyrings, logs and the OSD's data (removed by `stop()`). */
  readonly directory: string;
  /** The process ids of the daemons started, for checking that none outlives `stop()`. */
  readonly pids: {
    readonly monitor: number;
    readonly osd: number;
    readonly gateway: number;
    readonly watchdog: number;
  };
}

/** A running single-node Ceph cluster with its RADOS Gateway. */
export interface CephTestServer extends CephServerConnection {
  /** Stops the gateway, the OSD and the monitor by their process ids, then removes the directory. Safe to call more than once. Never rejects. */
  stop(): Promise<void>;
}

const WATCHDOG_SCRIPT = fileURLToPath(new URL('../bin/ceph-watchdog.cjs', import.meta.url));
const REGION = 'us-east-1';
const STOP_GRACE_MS = 15_000;
/** Ports the OSD's messengers may bind; below Linux's ephemeral range, where `port 0` picks the others. */
const MESSENGER_PORTS = { count: 16, lowest: 10_000, highest: 32_000 } as const;

async function findProgram(program: Program): Promise<string | undefined> {
  for (const directory of (process.env.PATH ?? '').split(delimiter).filter((entry) => entry !== '')) {
    const candidate = join(directory, program);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here; keep looking.
    }
  }
  return undefined;
}

async function findPrograms(): Promise<Record<Program, string>> {
  const found: Partial<Record<Program, string>> = {};
  const missing: { program: string; debianPackage: string }[] = [];
  for (const program of Object.keys(PROGRAMS) as Program[]) {
    const path = await findProgram(program);
    if (path === undefined) missing.push({ program, debianPackage: PROGRAMS[program] });
    else found[program] = path;
  }
  if (missing.length > 0) throw new CephNotInstalledError(missing);
  return found as Record<Program, string>;
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => {
      resolve(false);
    });
    server.listen(port, '127.0.0.1', () => {
      server.close(() => {
        resolve(true);
      });
    });
  });
}

/** A port free on 127.0.0.1 right now, chosen by the kernel. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address === null || typeof address === 'string') reject(new Error('no port was assigned'));
        else resolve(address.port);
      });
    });
  });
}

/** A run of consecutive free ports at a random place, so two clusters started together rarely pick the same. */
async function freePortRange(): Promise<{ min: number; max: number }> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const min = randomInt(MESSENGER_PORTS.lowest, MESSENGER_PORTS.highest - MESSENGER_PORTS.count);
    let free = true;
    for (let port = min; port < min + MESSENGER_PORTS.count && free; port++) free = await canBind(port);
    if (free) return { min, max: min + MESSENGER_PORTS.count - 1 };
  }
  throw new Error(
    `found no ${MESSENGER_PORTS.count} consecutive free ports between ${MESSENGER_PORTS.lowest} and ${MESSENGER_PORTS.highest}`,
  );
}

function run(path: string, args: readonly string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      path,
      args,
      { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 4 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error === null) resolve(stdout);
        else reject(new Error(`${[path, ...args].join(' ')} failed: ${error.message}\n${stderr.slice(-4_000)}`));
      },
    );
  });
}

function clusterConfiguration(options: {
  directory: string;
  fsid: string;
  monitorPort: number;
  messengerPorts: { min: number; max: number };
  gatewayPort: number;
  objectStore: 'memstore' | 'bluestore';
}): string {
  const { directory } = options;
  // `$name` is expanded by Ceph to each daemon's name (mon.a, osd.0, client.rgw.a, client.admin).
  return `[global]
fsid = ${options.fsid}
mon host = v2:127.0.0.1:${options.monitorPort}
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind msgr1 = false
ms bind port min = ${options.messengerPorts.min}
ms bind port max = ${options.messengerPorts.max}
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
keyring = ${directory}/$name.keyring
run dir = ${directory}/run
admin socket = ${directory}/run/$name.asok
log file = ${directory}/log/$name.log
mon data = ${directory}/mon
osd data = ${directory}/osd
mon allow pool size one = true
mon warn on pool no redundancy = false
mon data avail warn = 1
mon data avail crit = 0
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
osd objectstore = ${options.objectStore}
# A full shutdown, so a memstore OSD saves its objects (without them a restarted gateway hangs).
osd fast shutdown = false
memstore device bytes = ${8 * 1024 ** 3}
bluestore block create = true
bluestore fsck on mkfs = false
bluestore block size = ${10 * 1024 ** 3}
bluestore cache autotune = false
bluestore cache size = ${128 * 1024 ** 2}
rgw frontends = beast endpoint=127.0.0.1:${options.gatewayPort}
rgw dns name = localhost
`;
}

async function tail(path: string, characters: number): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).slice(-characters);
  } catch {
    return '';
  }
}

/** The end of every daemon's output and log, to explain a failed start. */
async function diagnostics(directory: string): Promise<string> {
  let names: string[];
  try {
    names = (await readdir(join(directory, 'log'))).sort();
  } catch {
    return '';
  }
  const parts: string[] = [];
  for (const name of names) {
    const text = (await tail(join(directory, 'log', name), 1_500)).trim();
    if (text !== '') parts.push(`--- ${name}\n${text}`);
  }
  return parts.join('\n');
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (exited(child)) return Promise.resolve();
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

/** Retries `attempt` until it succeeds, the deadline passes, or `abandoned()` says the start was given up. */
async function waitUntil<T>(
  what: string,
  deadline: number,
  abandoned: () => boolean,
  attempt: () => Promise<T>,
): Promise<T> {
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (abandoned()) throw new Error(`${what}: the start was abandoned`, { cause: error });
      if (Date.now() > deadline) throw new Error(`${what} did not succeed in time`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/**
 * Starts a single-node Ceph 16.2 cluster (one monitor, one OSD, pools of size 1, cephx on) and its RADOS Gateway
 * on free ports of 127.0.0.1, with all state in a fresh temporary directory, and creates an S3 user and `buckets`.
 * Resolves once an S3 request signed with that user's keys succeeds. Call `stop()` in `afterAll`; if the calling
 * process dies instead, a watchdog process sees its pipe close and ends the daemons by process id.
 * Rejects with `CephNotInstalledError` when a Ceph program is missing, and with the daemons' log tails when the
 * cluster does not come up.
 */
export async function startCephServer(options: StartCephServerOptions = {}): Promise<CephTestServer> {
  const buckets = options.buckets ?? [];
  for (const bucket of buckets) {
    const problem = bucketNameProblem(bucket);
    if (problem !== undefined) throw new Error(`cannot create bucket ${JSON.stringify(bucket)}: the name ${problem}`);
  }
  const programs = await findPrograms();
  const deadline = Date.now() + (options.startTimeoutMs ?? 180_000);
  const stepTimeout = (): number => Math.max(1_000, deadline - Date.now());

  const directory = await mkdtemp(join(tmpdir(), 'stowage-ceph-'));
  const watchdog = spawn(process.execPath, [WATCHDOG_SCRIPT, directory], {
    stdio: ['pipe', 'pipe', 'inherit'],
    detached: true,
  });
  // A watchdog that died would make writes to it fail with EPIPE; that must not crash the test process.
  watchdog.stdin.on('error', () => undefined);
  const daemons: ChildProcess[] = [];
  let client: S3Client | undefined;

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      client?.destroy();
      // The gateway first, then the OSD, then the monitor: each still has the one below it while it shuts down.
      for (const daemon of [...daemons].reverse()) {
        if (!exited(daemon)) daemon.kill('SIGTERM');
        await waitForExit(daemon, STOP_GRACE_MS);
        if (daemon.pid !== undefined && watchdog.stdin.writable) watchdog.stdin.write(`-${daemon.pid}\n`);
      }
      watchdog.stdin.end();
      await waitForExit(watchdog, STOP_GRACE_MS);
      await rm(directory, { recursive: true, force: true });
    })();
    return stopped;
  };

  // A daemon that exits during the start (a port taken after it was found free, a bad configuration) fails the
  // start at once, rather than after the timeout of whatever step waits on it.
  let ready = false;
  let daemonExited: ((error: Error) => void) | undefined;
  const anyDaemonExit = new Promise<never>((_resolve, reject) => {
    daemonExited = reject;
  });
  anyDaemonExit.catch(() => undefined);
  const step = <T>(promise: Promise<T>): Promise<T> => Promise.race([promise, anyDaemonExit]);

  const startDaemon = async (program: Program, args: readonly string[], name: string): Promise<ChildProcess> => {
    // Output goes to a file, not a pipe: a daemon must not die of a closed pipe before the watchdog ends it.
    const output = openSync(join(directory, 'log', `${name}.out`), 'a');
    let child: ChildProcess;
    try {
      // Its own session: a Ctrl-C meant for the caller reaches the caller only, which then stops in order.
      child = spawn(programs[program], args, { stdio: ['ignore', output, output], detached: true });
    } finally {
      closeSync(output);
    }
    daemons.push(child);
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    if (child.pid === undefined) throw new Error(`${program} did not start`);
    watchdog.stdin.write(`+${child.pid}\n`);
    child.once('exit', (code, signal) => {
      if (stopped !== undefined) return;
      const why = `Ceph's ${name} exited (code ${String(code)}, signal ${String(signal)})`;
      if (ready) process.emitWarning(`${why}; its log is in ${directory}/log`);
      else daemonExited?.(new Error(why));
    });
    return child;
  };

  try {
    await new Promise<void>((resolve, reject) => {
      watchdog.once('error', reject);
      watchdog.stdout.once('data', () => {
        resolve();
      });
      watchdog.once('exit', () => {
        reject(new Error('the watchdog process exited at start'));
      });
    });
    await Promise.all(['mon', 'osd', 'run', 'log'].map((name) => mkdir(join(directory, name))));
    const fsid = randomUUID();
    const monitorPort = await freePort();
    const gatewayPort = await freePort();
    const configuration = join(directory, 'ceph.conf');
    await writeFile(
      configuration,
      clusterConfiguration({
        directory,
        fsid,
        monitorPort,
        messengerPorts: await freePortRange(),
        gatewayPort,
        objectStore: options.objectStore ?? 'bluestore',
      }),
    );
    const conf = ['-c', configuration];

    // One key each for the monitor, the admin client, the OSD and the gateway; the monitor starts knowing them all.
    const keyring = (name: string): string => join(directory, `${name}.keyring`);
    const keys: readonly (readonly [string, readonly string[]])[] = [
      ['mon.', ['--cap', 'mon', 'allow *']],
      ['client.admin', ['--cap', 'mon', 'allow *', '--cap', 'osd', 'allow *', '--cap', 'mgr', 'allow *']],
      ['osd.0', ['--cap', 'mon', 'allow profile osd', '--cap', 'osd', 'allow *', '--cap', 'mgr', 'allow profile osd']],
      ['client.rgw.a', ['--cap', 'mon', 'allow rw', '--cap', 'osd', 'allow rwx']],
    ];
    for (const [name, caps] of keys) {
      await run(
        programs['ceph-authtool'],
        [...conf, '--create-keyring', keyring(name), '--gen-key', '-n', name, ...caps],
        stepTimeout(),
      );
    }
    const monitorKeyring = keyring('mon.a');
    await writeFile(
      monitorKeyring,
      (await Promise.all(keys.map(([name]) => readFile(keyring(name), 'utf8')))).join(''),
    );
    const monitorMap = join(directory, 'monmap');
    await run(
      programs.monmaptool,
      ['--create', '--addv', 'a', `[v2:127.0.0.1:${monitorPort}]`, '--fsid', fsid, monitorMap],
      stepTimeout(),
    );
    await run(
      programs['ceph-mon'],
      [...conf, '-i', 'a', '--mkfs', '--monmap', monitorMap, '--keyring', monitorKeyring],
      stepTimeout(),
    );
    const monitor = await startDaemon('ceph-mon', [...conf, '-i', 'a', '-f'], 'mon.a');

    const osdUuid = randomUUID();
    await step(
      run(
        programs.ceph,
        [...conf, '--connect-timeout', String(Math.ceil(stepTimeout() / 1_000)), 'osd', 'new', osdUuid, '0'],
        stepTimeout(),
      ),
    );
    await step(run(programs['ceph-osd'], [...conf, '-i', '0', '--mkfs', '--osd-uuid', osdUuid], stepTimeout()));
    const osd = await startDaemon('ceph-osd', [...conf, '-i', '0', '-f'], 'osd.0');
    const gateway = await startDaemon('radosgw', [...conf, '-n', 'client.rgw.a', '-f'], 'client.rgw.a');

    // S3 keys in AWS's shapes: 20 upper-case characters and 40 characters.
    const credentials: CephCredentials = {
      accessKeyId: randomBytes(10).toString('hex').toUpperCase(),
      secretAccessKey: randomBytes(20).toString('hex'),
    };
    const user = [
      '--uid=stowage',
      '--display-name=Stowage tests',
      `--access-key=${credentials.accessKeyId}`,
      `--secret=${credentials.secretAccessKey}`,
    ];
    await step(run(programs['radosgw-admin'], [...conf, 'user', 'create', ...user], stepTimeout()));

    const endpoint = `http://127.0.0.1:${gatewayPort}`;
    const clientConfig = { endpoint, region: REGION, forcePathStyle: true as const, credentials };
    client = new S3Client({ ...clientConfig, maxAttempts: 1 });
    const readyClient = client;
    // A signed request that succeeds proves the gateway serves S3 and knows the user.
    await step(
      waitUntil(
        `a signed ListBuckets at ${endpoint}`,
        deadline,
        () => stopped !== undefined,
        () => readyClient.send(new ListBucketsCommand({})),
      ),
    );
    for (const bucket of buckets) await step(readyClient.send(new CreateBucketCommand({ Bucket: bucket })));
    readyClient.destroy();
    client = undefined;

    const { pid: monitorPid } = monitor;
    const { pid: osdPid } = osd;
    const { pid: gatewayPid } = gateway;
    const { pid: watchdogPid } = watchdog;
    if (monitorPid === undefined || osdPid === undefined || gatewayPid === undefined || watchdogPid === undefined)
      throw new Error('a Ceph process has no pid');
    ready = true;
    return {
      endpoint,
      port: gatewayPort,
      credentials,
      clientConfig,
      directory,
      pids: { monitor: monitorPid, osd: osdPid, gateway: gatewayPid, watchdog: watchdogPid },
      stop,
    };
  } catch (error) {
    const details = await diagnostics(directory);
    await stop();
    throw new Error(
      `Ceph did not start: ${error instanceof Error ? error.message : String(error)}${details === '' ? '' : `\n${details}`}`,
      { cause: error },
    );
  }
}

/**
 * Creates a bucket with a fresh name beginning with `prefix` (default `test`) and resolves to its name: for test
 * files sharing one gateway, each with buckets of its own.
 */
export async function createTestBucket(client: S3Client, prefix = 'test'): Promise<string> {
  const bucket = `${prefix}-${randomBytes(6).toString('hex')}`;
  const problem = bucketNameProblem(bucket);
  if (problem !== undefined) throw new Error(`cannot create bucket ${JSON.stringify(bucket)}: the name ${problem}`);
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}
