// `npm run bench -- migrate [--rounds N] [--quick] [--only up|down] [--server s3rver|ceph]`: `stowage migrate` beside
// `rclone copy --transfers 6`, both copying the same data set (2,000 files of 1 to 64 KiB in nested folders plus 20
// files of 8 MiB) from a local directory into an empty bucket of the same S3 server on 127.0.0.1 (up), on s3rver and
// on Ceph's RADOS Gateway (a real S3 that checks signatures) one after the other unless `--server` names one,
// and back from a full bucket into an empty local directory (down), in interleaved rounds. Prints files/s, MB/s,
// client CPU seconds and peak memory of each, the median ratios, and resumed runs (nothing to copy) beside the
// same command only listing the full bucket, the floor under any resumed run. Down, stowage writes each file
// atomically and fsynced and checks its SHA-256; rclone writes a partial file and renames it, checks the MD5, and
// never fsyncs, so it is also measured followed by `sync` (the same bytes made durable, that CPU counted too).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { startCephServer } from '@stowage/ceph-server';
import { S3RVER_CREDENTIALS, startS3Server } from '@stowage/s3-test-server';
import { printTable as printTableOf } from './_table.ts';

const MiB = 1024 * 1024;
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const quick = process.argv.includes('--quick');
const roundsArgument = process.argv.indexOf('--rounds');
const ROUNDS = roundsArgument > 0 ? Number(process.argv[roundsArgument + 1]) : quick ? 2 : 5;
const SMALL_FILES = quick ? 400 : 2000;
const LARGE_FILES = quick ? 4 : 20;
const RESUME_ROUNDS = 3;
const onlyArgument = process.argv.indexOf('--only');
const ONLY = onlyArgument > 0 ? process.argv[onlyArgument + 1] : undefined;
if (ONLY !== undefined && ONLY !== 'up' && ONLY !== 'down') throw new Error(`--only takes up or down, not ${ONLY}`);
const UP = ONLY !== 'down';
const DOWN = ONLY !== 'up';
const serverArgument = process.argv.indexOf('--server');
const serverChoice = serverArgument > 0 ? process.argv[serverArgument + 1] : undefined;
if (serverChoice !== undefined && serverChoice !== 's3rver' && serverChoice !== 'ceph')
  throw new Error(`--server takes s3rver or ceph, not ${serverChoice}`);
const SERVER_NAMES: readonly ('s3rver' | 'ceph')[] = serverChoice === undefined ? ['s3rver', 'ceph'] : [serverChoice];

/** A server started for the bench: where it listens, the keys it checks, and how to stop it. */
interface BenchServer {
  readonly endpoint: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  stop(): Promise<void>;
}

const SERVERS: Record<
  's3rver' | 'ceph',
  { readonly label: string; readonly start: (buckets: string[]) => Promise<BenchServer> }
> = {
  s3rver: {
    label: 's3rver 3.7.1',
    start: async (buckets) => {
      const server = await startS3Server({ buckets });
      return { endpoint: server.endpoint, credentials: S3RVER_CREDENTIALS, stop: () => server.stop() };
    },
  },
  ceph: { label: "Ceph 16.2's RADOS Gateway", start: (buckets) => startCephServer({ buckets }) },
};
/** Packages the CLI needs, built in dependency order so `node` runs it from dist as an operator would. */
const BUILD_ORDER = ['core', 'local', 's3', 'migrate', 'stowage'];

function available(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
}

interface Measurement {
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly peakMiB: number;
}

/** Runs a command under GNU time: wall clock, user + system CPU of it and its children, and peak resident memory. */
function measure(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Measurement {
  const result = spawnSync('/usr/bin/time', ['-f', 'BENCH %e %U %S %M', command, ...args], {
    env,
    encoding: 'utf8',
    maxBuffer: 64 * MiB,
  });
  const line = result.stderr.split('\n').find((text) => text.startsWith('BENCH '));
  if (result.status !== 0 || line === undefined) {
    throw new Error(
      `${command} ${args.join(' ')} failed (exit ${result.status}):\n${result.stdout}\n${result.stderr.slice(-3000)}`,
    );
  }
  const [, elapsed = '0', user = '0', system = '0', maxKiB = '0'] = line.split(' ');
  return { seconds: Number(elapsed), cpuSeconds: Number(user) + Number(system), peakMiB: Number(maxKiB) / 1024 };
}

/** The CPU a child script reports for its measured part (user and system, and user alone). */
interface ChildUsage {
  readonly cpuSeconds: number;
  readonly userSeconds: number;
}

/** Runs one of the bench's child scripts (`tools/bench/_NAME.ts`) from source and returns the JSON it prints. */
function runChild(script: string, args: readonly string[]): ChildUsage {
  const child = spawnSync(
    process.execPath,
    ['--conditions=@stowage/source', '--import', 'tsx', fileURLToPath(new URL(script, import.meta.url)), ...args],
    { encoding: 'utf8', maxBuffer: 64 * MiB },
  );
  if (child.status !== 0) throw new Error(`${script} failed:\n${child.stderr.slice(-3000)}`);
  return JSON.parse(child.stdout) as ChildUsage;
}

/** The data set: nested folders like an uploads directory, random (incompressible) bytes. */
async function writeDataSet(directory: string): Promise<{ files: number; bytes: number }> {
  let bytes = 0;
  for (let index = 0; index < SMALL_FILES; index++) {
    const size = 1024 + Math.floor(Math.random() * 63 * 1024);
    const path = join(
      directory,
      String(index % 4),
      (index % 97).toString(16).padStart(2, '0'),
      randomBytes(6).toString('hex'),
      `file-${index}.bin`,
    );
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, randomBytes(size));
    bytes += size;
  }
  for (let index = 0; index < LARGE_FILES; index++) {
    const path = join(directory, 'video', `large-${index}.mp4`);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, randomBytes(8 * MiB));
    bytes += 8 * MiB;
  }
  return { files: SMALL_FILES + LARGE_FILES, bytes };
}

/** How many files a directory tree holds (the bench's data set has nothing else). */
async function filesUnder(directory: string): Promise<number> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).length;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

async function main(): Promise<void> {
  if (!available('rclone')) {
    console.error('rclone is missing: install the Debian package (apt-get install -y rclone) to compare against it.');
    process.exit(1);
  }
  if (!available('/usr/bin/time')) {
    console.error(
      'GNU time (/usr/bin/time, Debian package "time") is missing: it measures CPU seconds and peak memory.',
    );
    process.exit(1);
  }
  console.log(`building ${BUILD_ORDER.join(', ')} so stowage runs as shipped (its bin) with plain node`);
  for (const name of BUILD_ORDER) {
    const built = spawnSync('npm', ['run', 'build', '--workspace', `packages/${name}`], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    if (built.status !== 0) throw new Error(`building packages/${name} failed`);
  }
  const manifest = JSON.parse(await readFile(join(ROOT, 'packages', 'stowage', 'package.json'), 'utf8')) as {
    bin: Record<string, string>;
  };
  const stowageBin = join(ROOT, 'packages', 'stowage', manifest.bin.stowage ?? 'no-bin-in-package-json');

  const scratch = await mkdtemp(join(tmpdir(), 'stowage-bench-migrate-'));
  try {
    const data = join(scratch, 'data');
    const dataSet = await writeDataSet(data);
    for (const name of SERVER_NAMES) await benchOn(SERVERS[name], stowageBin, scratch, data, dataSet);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function benchOn(
  serverKind: (typeof SERVERS)[keyof typeof SERVERS],
  stowageBin: string,
  parentScratch: string,
  data: string,
  { files, bytes }: { files: number; bytes: number },
): Promise<void> {
  const printTable = (title: string, header: readonly string[], rows: readonly (readonly string[])[]): void => {
    printTableOf(`${serverKind.label}: ${title}`, header, rows);
  };
  const scratch = await mkdtemp(join(parentScratch, 'server-'));
  const buckets = Array.from({ length: ROUNDS }, (_, round) => [`stowage-${round + 1}`, `rclone-${round + 1}`]).flat();
  const server = await serverKind.start(buckets);
  try {
    console.log(
      `data set: ${files} files, ${(bytes / MiB).toFixed(1)} MiB; ${serverKind.label} at ${server.endpoint}; ${ROUNDS} interleaved rounds`,
    );
    const baseEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
    const stowageEnv = {
      ...baseEnv,
      S3_KEY: server.credentials.accessKeyId,
      S3_SECRET_KEY: server.credentials.secretAccessKey,
      S3_REGION: 'us-east-1',
      S3_ADDRESSING_STYLE: 'path',
      // Migration journals (one per source and target) stay in the scratch directory.
      XDG_STATE_HOME: join(scratch, 'state'),
    };
    const rcloneEnv = {
      ...baseEnv,
      RCLONE_CONFIG: join(scratch, 'rclone.conf'),
      RCLONE_CONFIG_BENCH_TYPE: 's3',
      RCLONE_CONFIG_BENCH_PROVIDER: 'Other',
      RCLONE_CONFIG_BENCH_ENDPOINT: server.endpoint,
      RCLONE_CONFIG_BENCH_REGION: 'us-east-1',
      RCLONE_CONFIG_BENCH_ACCESS_KEY_ID: server.credentials.accessKeyId,
      RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY: server.credentials.secretAccessKey,
      RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE: 'true',
    };
    await writeFile(rcloneEnv.RCLONE_CONFIG, '');
    const stowage = (bucket: string, report: string, ...extra: string[]): Measurement =>
      measure(
        process.execPath,
        [
          stowageBin,
          'migrate',
          '--from',
          `dir:${data}`,
          '--to',
          `s3://${bucket}`,
          '--endpoint',
          server.endpoint,
          '--concurrency',
          '6',
          '--progress',
          'none',
          '--report',
          report,
          ...extra,
        ],
        stowageEnv,
      );
    const rclone = (bucket: string): Measurement =>
      measure('rclone', ['copy', data, `bench:${bucket}`, '--transfers', '6'], rcloneEnv);

    if (UP) await upward();
    if (DOWN) await downward();

    async function upward(): Promise<void> {
      const results: { stowage: Measurement[]; rclone: Measurement[] } = { stowage: [], rclone: [] };
      const rows: string[][] = [];
      const row = (round: number, tool: string, m: Measurement): string[] => [
        String(round),
        tool,
        m.seconds.toFixed(2),
        (files / m.seconds).toFixed(0),
        (bytes / 1e6 / m.seconds).toFixed(1),
        m.cpuSeconds.toFixed(2),
        m.peakMiB.toFixed(0),
      ];
      for (let round = 1; round <= ROUNDS; round++) {
        // Alternate who goes first, so neither always meets a warmer server or page cache.
        const order = round % 2 === 1 ? (['stowage', 'rclone'] as const) : (['rclone', 'stowage'] as const);
        for (const tool of order) {
          const report = join(scratch, `report-${round}.json`);
          const result = tool === 'stowage' ? stowage(`stowage-${round}`, report) : rclone(`rclone-${round}`);
          if (tool === 'stowage') {
            const outcome = JSON.parse(await readFile(report, 'utf8')) as { ok: boolean; copied: number };
            if (!outcome.ok || outcome.copied !== files)
              throw new Error(`stowage round ${round} copied ${outcome.copied} of ${files}`);
          }
          results[tool].push(result);
          rows.push(row(round, tool, result));
        }
      }
      printTable(
        'rounds (each into an empty bucket)',
        ['round', 'tool', 'wall s', 'files/s', 'MB/s', 'CPU s', 'peak MiB'],
        rows,
      );

      interface ResumedRun {
        readonly measurement: Measurement;
        readonly copied: number;
        readonly skipped: number;
      }
      const resumedRun = async (...extra: string[]): Promise<ResumedRun> => {
        const report = join(scratch, 'resumed.json');
        const measurement = stowage('stowage-1', report, ...extra);
        const outcome = JSON.parse(await readFile(report, 'utf8')) as { copied: number; skipped: number };
        return { measurement, copied: outcome.copied, skipped: outcome.skipped };
      };
      // Three rounds of each way to resume, interleaved: a single run right after the copies meets the server and the
      // disk still busy with them.
      const resumeWays = [
        { label: 'journal, else sha256 (default)', extra: [] },
        { label: 'sha256, no journal', extra: ['--no-journal'] },
        { label: 'size-and-time, no journal', extra: ['--no-journal', '--resume-by', 'size-and-time'] },
      ] as const;
      const resumed: ResumedRun[][] = resumeWays.map(() => []);
      // The floor under any resumed run: the same command only listing the full bucket, page after page.
      const listings: Measurement[] = [];
      for (let round = 0; round < RESUME_ROUNDS; round++) {
        for (const [index, way] of resumeWays.entries()) resumed[index]?.push(await resumedRun(...way.extra));
        listings.push(
          measure(
            process.execPath,
            [stowageBin, 'ls', '--store', 's3://stowage-1', '--endpoint', server.endpoint],
            stowageEnv,
          ),
        );
      }
      const medians = (list: Measurement[]) => ({
        seconds: median(list.map((m) => m.seconds)),
        cpu: median(list.map((m) => m.cpuSeconds)),
        peak: median(list.map((m) => m.peakMiB)),
        maxPeak: Math.max(...list.map((m) => m.peakMiB)),
      });
      const ours = medians(results.stowage);
      const theirs = medians(results.rclone);
      printTable(
        'medians',
        ['tool', 'files/s', 'MB/s', 'CPU s', 'peak MiB', 'max peak MiB'],
        [
          [
            'stowage migrate',
            (files / ours.seconds).toFixed(0),
            (bytes / 1e6 / ours.seconds).toFixed(1),
            ours.cpu.toFixed(2),
            ours.peak.toFixed(0),
            ours.maxPeak.toFixed(0),
          ],
          [
            'rclone copy --transfers 6',
            (files / theirs.seconds).toFixed(0),
            (bytes / 1e6 / theirs.seconds).toFixed(1),
            theirs.cpu.toFixed(2),
            theirs.peak.toFixed(0),
            theirs.maxPeak.toFixed(0),
          ],
          [
            'ratio stowage/rclone',
            (theirs.seconds / ours.seconds).toFixed(2),
            (theirs.seconds / ours.seconds).toFixed(2),
            (ours.cpu / theirs.cpu).toFixed(2),
            (ours.peak / theirs.peak).toFixed(2),
            '',
          ],
        ],
      );
      const medianRun = (runs: readonly ResumedRun[]): ResumedRun => {
        const sorted = [...runs].sort((a, b) => a.measurement.seconds - b.measurement.seconds);
        const middle = sorted[Math.floor(sorted.length / 2)];
        if (middle === undefined) throw new Error('no resumed run');
        return middle;
      };
      const resumeRows = resumeWays.map((way, index) => {
        const runs = resumed[index] ?? [];
        const middle = medianRun(runs);
        return [
          way.label,
          runs.map((run) => run.measurement.seconds.toFixed(2)).join(' '),
          middle.measurement.seconds.toFixed(2),
          String(Math.max(...runs.map((run) => run.copied))),
          String(middle.skipped),
          middle.measurement.cpuSeconds.toFixed(2),
          middle.measurement.peakMiB.toFixed(0),
          (middle.measurement.seconds / ours.seconds).toFixed(3),
        ];
      });
      const listing = medians(listings);
      resumeRows.push([
        'only listing the bucket (stowage ls)',
        listings.map((run) => run.seconds.toFixed(2)).join(' '),
        listing.seconds.toFixed(2),
        '',
        '',
        listing.cpu.toFixed(2),
        listing.peak.toFixed(0),
        (listing.seconds / ours.seconds).toFixed(3),
      ]);
      printTable(
        `resumed runs into a full bucket (nothing to copy), ${RESUME_ROUNDS} interleaved rounds`,
        [
          'resume by',
          'wall s, each run',
          'median wall s',
          'most copied',
          'skipped',
          'CPU s',
          'peak MiB',
          'share of full copy',
        ],
        resumeRows,
      );
      const defaultResume = resumed[0] ?? [];
      const verdicts = [
        ["files/s at least rclone's", theirs.seconds >= ours.seconds],
        ["client CPU seconds no more than rclone's", ours.cpu <= theirs.cpu],
        ['peak memory under 100 MiB (every round)', ours.maxPeak < 100],
        [
          'resumed run (default, median) under a tenth of the full copy',
          medianRun(defaultResume).measurement.seconds < ours.seconds / 10 &&
            defaultResume.every((run) => run.copied === 0),
        ],
      ] as const;
      printTable(
        'targets',
        ['target', 'met'],
        verdicts.map(([target, met]) => [target, met ? 'yes' : 'NO']),
      );
    }

    /** S3 to a local directory: from a bucket filled once (by the first up round, else here), into fresh directories. */
    async function downward(): Promise<void> {
      if (!UP) stowage('stowage-1', join(scratch, 'fill.json'));
      const stowageDown = (directory: string, report: string): Measurement =>
        measure(
          process.execPath,
          [
            stowageBin,
            'migrate',
            '--from',
            's3://stowage-1',
            '--to',
            `dir:${directory}`,
            '--endpoint',
            server.endpoint,
            '--concurrency',
            '6',
            '--progress',
            'none',
            '--report',
            report,
          ],
          stowageEnv,
        );
      // --fast-list: s3rver answers rclone's listing folder by folder with only the top folder's files.
      const rcloneDown = (directory: string): Measurement =>
        measure('rclone', ['copy', 'bench:stowage-1', directory, '--transfers', '6', '--fast-list'], rcloneEnv);
      // rclone never fsyncs: `sync` right after it makes its bytes durable, its CPU counted with rclone's.
      const rcloneDownSynced = (directory: string): Measurement =>
        measure(
          'sh',
          ['-c', 'rclone copy bench:stowage-1 "$1" --transfers 6 --fast-list && sync', 'rclone', directory],
          rcloneEnv,
        );
      const down: Record<'stowage' | 'rclone' | 'rcloneSync', Measurement[]> = {
        stowage: [],
        rclone: [],
        rcloneSync: [],
      };
      const rows: string[][] = [];
      const row = (round: number, tool: string, m: Measurement): string[] => [
        String(round),
        tool,
        m.seconds.toFixed(2),
        (files / m.seconds).toFixed(0),
        (bytes / 1e6 / m.seconds).toFixed(1),
        m.cpuSeconds.toFixed(2),
        m.peakMiB.toFixed(0),
      ];
      const tools = ['stowage', 'rclone', 'rcloneSync'] as const;
      const labels = { stowage: 'stowage migrate', rclone: 'rclone copy', rcloneSync: 'rclone copy; sync' } as const;
      // Every run's directory stays until the bench ends: on ext4 without a journal, a file or directory created
      // within about 30 s of a large removal searches past each inode just freed, so a run right after removing the
      // last one paid for that removal (rclone's CPU tripled from the first round to the third).
      for (let round = 1; round <= ROUNDS; round++) {
        // Rotate who goes first, so none always meets a warmer server or page cache.
        const order = tools.map((_, index) => tools[(index + round) % tools.length] ?? 'stowage');
        for (const tool of order) {
          const directory = join(scratch, `down-${tool}-${round}`);
          // Every file of the last run is on disk before the next run starts, so none pays for another's writeback.
          spawnSync('sync');
          let result: Measurement;
          if (tool === 'stowage') {
            const report = join(scratch, `down-report-${round}.json`);
            result = stowageDown(directory, report);
            const outcome = JSON.parse(await readFile(report, 'utf8')) as { ok: boolean; copied: number };
            if (!outcome.ok || outcome.copied !== files)
              throw new Error(`stowage down round ${round} copied ${outcome.copied} of ${files}`);
          } else {
            result = tool === 'rclone' ? rcloneDown(directory) : rcloneDownSynced(directory);
            const copied = await filesUnder(directory);
            if (copied !== files) throw new Error(`${labels[tool]} down round ${round} copied ${copied} of ${files}`);
          }
          down[tool].push(result);
          rows.push(row(round, labels[tool], result));
        }
      }
      printTable(
        'down: S3 to a local directory, rounds (each into an empty directory)',
        ['round', 'tool', 'wall s', 'files/s', 'MB/s', 'CPU s', 'peak MiB'],
        rows,
      );
      const ours = median(down.stowage.map((m) => m.cpuSeconds));
      const medianRows = tools.map((tool) => {
        const list = down[tool];
        const seconds = median(list.map((m) => m.seconds));
        const cpu = median(list.map((m) => m.cpuSeconds));
        return [
          labels[tool],
          (files / seconds).toFixed(0),
          (bytes / 1e6 / seconds).toFixed(1),
          cpu.toFixed(2),
          median(list.map((m) => m.peakMiB)).toFixed(0),
          (ours / cpu).toFixed(2),
        ];
      });
      printTable(
        'down: medians',
        ['tool', 'files/s', 'MB/s', 'CPU s', 'peak MiB', 'stowage CPU / this CPU'],
        medianRows,
      );
      // Where stowage's CPU goes: the local write path alone (the same files put into a fresh LocalStore in one
      // process, six at a time), the S3 requests alone (the SDK's GETs with nothing done with the bytes), and a
      // process that only starts and prints its usage.
      const localPuts: ChildUsage[] = [];
      const sdkGets: ChildUsage[] = [];
      const starts: Measurement[] = [];
      for (let round = 1; round <= ROUNDS; round++) {
        const directory = join(scratch, `down-local-puts-${round}`);
        spawnSync('sync');
        localPuts.push(runChild('_local-puts.ts', [data, directory]));
        sdkGets.push(
          runChild('_sdk-gets.ts', [
            server.endpoint,
            'stowage-1',
            server.credentials.accessKeyId,
            server.credentials.secretAccessKey,
          ]),
        );
        starts.push(measure(process.execPath, [stowageBin, '--help'], stowageEnv));
      }
      const localCpu = median(localPuts.map((run) => run.cpuSeconds));
      const sdkCpu = median(sdkGets.map((run) => run.cpuSeconds));
      const startCpu = median(starts.map((m) => m.cpuSeconds));
      const rcloneCpu = median(down.rclone.map((m) => m.cpuSeconds));
      const userOf = (runs: readonly ChildUsage[]): string => median(runs.map((run) => run.userSeconds)).toFixed(2);
      const part = (label: string, cpu: number): string[] => [
        label,
        cpu.toFixed(2),
        (cpu / ours).toFixed(2),
        (cpu / rcloneCpu).toFixed(2),
      ];
      printTable(
        "down: where stowage migrate's CPU goes (medians)",
        ['part', 'CPU s', 'share', 'x rclone copy'],
        [
          part('whole migration (stowage migrate)', ours),
          part(`local write path: LocalStore puts of the same files (user ${userOf(localPuts)} s)`, localCpu),
          part(`the AWS SDK alone: list, GET every object, drain its body (user ${userOf(sdkGets)} s)`, sdkCpu),
          part('process start (stowage --help)', startCpu),
          part('the rest: migrate itself (decisions, streams, journal)', ours - localCpu - sdkCpu - startCpu),
        ],
      );
      const rcloneSyncCpu = median(down.rcloneSync.map((m) => m.cpuSeconds));
      printTable(
        'down: targets',
        ['target', 'met'],
        [
          [
            "files/s at least rclone copy's",
            median(down.stowage.map((m) => m.seconds)) <= median(down.rclone.map((m) => m.seconds)) ? 'yes' : 'NO',
          ],
          [
            'peak memory under 100 MiB (every round)',
            Math.max(...down.stowage.map((m) => m.peakMiB)) < 100 ? 'yes' : 'NO',
          ],
          ['client CPU within 1.5x rclone copy; sync (same durability)', ours <= 1.5 * rcloneSyncCpu ? 'yes' : 'NO'],
          ['client CPU within 1.5x rclone copy (no fsync)', ours <= 1.5 * rcloneCpu ? 'yes' : 'NO'],
          // Whether the target can be met at all: every S3 request goes through the SDK (no transport of our own).
          ['  reachable: the SDK alone within 1.5x rclone copy', sdkCpu <= 1.5 * rcloneCpu ? 'yes' : 'NO'],
        ],
      );
    }
  } finally {
    await server.stop();
    await rm(scratch, { recursive: true, force: true });
  }
}

await main();
