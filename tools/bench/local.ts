// `npm run bench -- local [--quick] [--no-deno]`: LocalStore put/get throughput (whole objects and a range of
// each) beside plain fs doing the same work, the 256 MiB streamed put beside dd on the same disk, and the peak
// memory of that put and of a 256 MiB get, the CPU time and page faults of a get, and the ways a platform reads a
// file as a Web stream; then the same run on Deno (`npx deno`), printed after Node's.
import { spawnSync } from 'node:child_process';
import { Buffer } from 'node:buffer';
import { closeSync, createReadStream, openSync, read, rmSync } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, rename, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { LocalStore } from '@stowage/local';
import { printTable, runOnDeno } from './_table.ts';

const MiB = 1024 * 1024;
const quick = process.argv.includes('--quick');

interface Case {
  readonly label: string;
  readonly bytes: number;
  /** Objects written per round; each is then read `READ_PASSES` times. */
  readonly count: number;
  readonly rounds: number;
}

const CASES: readonly Case[] = [
  { label: '4 KiB', bytes: 4 * 1024, count: quick ? 50 : 300, rounds: quick ? 1 : 5 },
  { label: '1 MiB', bytes: MiB, count: quick ? 10 : 40, rounds: quick ? 1 : 5 },
  { label: '256 MiB streamed', bytes: 256 * MiB, count: 1, rounds: quick ? 1 : 5 },
];

/** Reads are a few times quicker than durable writes; reading each object more than once gives them as many samples. */
const READ_PASSES = 5;

/** One MiB of bytes that are not all zero (a real upload is not), reused for every chunk of the large put. */
const PATTERN = Uint8Array.from({ length: MiB }, (_, index) => (index * 31 + 7) % 251);

function* chunksOf(bytes: number): Generator<Uint8Array> {
  for (let left = bytes; left > 0; left -= MiB) yield left >= MiB ? PATTERN : PATTERN.subarray(0, left);
}

/**
 * The body as the store sees it from an upload: a stream of 1 MiB chunks for the large case, bytes otherwise.
 * `fresh` gives every chunk its own buffer, as a network stream does, so memory measurements include them.
 */
function body(bytes: number, fresh = false): Uint8Array | ReadableStream<Uint8Array> {
  if (bytes < 4 * MiB) return PATTERN.subarray(0, bytes);
  const chunks = chunksOf(bytes);
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = chunks.next();
      if (next.done === true) controller.close();
      else controller.enqueue(fresh ? next.value.slice() : next.value);
    },
  });
}

/**
 * The peer: what a careful program does by hand to store a file durably at a nested path (mkdir -p, write, fsync,
 * rename, fsync the directory).
 */
async function plainPut(directory: string, name: string, bytes: number, temporary: string): Promise<void> {
  await mkdir(directory, { recursive: true });
  const handle = await open(temporary, 'wx');
  try {
    for (const chunk of chunksOf(bytes)) {
      let written = 0;
      while (written < chunk.byteLength) written += (await handle.write(chunk, written)).bytesWritten;
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, join(directory, name));
  const parent = await open(directory, 'r');
  try {
    await parent.sync();
  } finally {
    await parent.close();
  }
}

/**
 * The peer of a get: open, stat for the size, read the object (or bytes `range.start` to `range.end`) in fresh
 * buffers of at most 1 MiB, close.
 */
async function plainGet(path: string, range?: Range): Promise<number> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const start = range?.start ?? 0;
    const end = Math.min(range?.end ?? size - 1, size - 1);
    let total = 0;
    while (start + total <= end) {
      const length = Math.min(MiB, end + 1 - start - total);
      const { bytesRead } = await handle.read(Buffer.allocUnsafeSlow(length), 0, length, start + total);
      if (bytesRead === 0) break;
      total += bytesRead;
    }
    return total;
  } finally {
    await handle.close();
  }
}

interface Range {
  readonly start: number;
  readonly end: number;
}

/** The ranged read of each object: its middle half, so it starts and ends inside a chunk. */
function middleHalf(bytes: number): Range {
  return { start: Math.floor(bytes / 4) + 1, end: Math.floor((bytes * 3) / 4) };
}

const rangeBytes = (range: Range): number => range.end + 1 - range.start;

async function drain(stream: ReadableStream<Uint8Array>): Promise<number> {
  let total = 0;
  for await (const chunk of stream) total += chunk.byteLength;
  return total;
}

async function timed(run: () => Promise<void>): Promise<number> {
  const started = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** Minor page faults of this process so far, where the runtime reports them (Deno's `node:process` may not). */
function minorFaults(): number {
  try {
    return process.resourceUsage().minorPageFault;
  } catch {
    return Number.NaN;
  }
}

/** CPU time (user + system, ms) and minor page faults of one read, summed per side. */
interface ReadCost {
  cpu: number;
  faults: number;
  reads: number;
}

/** `timed`, also adding the run's CPU time and page faults to `cost`. */
async function timedWithCost(cost: ReadCost, run: () => Promise<void>): Promise<number> {
  const faults = minorFaults();
  const cpu = process.cpuUsage();
  const seconds = await timed(run);
  const used = process.cpuUsage(cpu);
  cost.cpu += (used.user + used.system) / 1e3;
  cost.faults += minorFaults() - faults;
  cost.reads++;
  return seconds;
}

const mbps = (bytes: number, seconds: number): number => bytes / seconds / 1e6;
const format = (value: number): string => (value >= 100 ? value.toFixed(0) : value.toFixed(1));

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

/** Throughput of one side in MB/s and its ratio to the peer, each the median over the rounds. */
interface Compared {
  readonly store: number;
  readonly peer: number;
  readonly ratio: number;
}

interface Measured {
  /** CPU and page faults of the whole gets, store and plain fs, summed over the counted rounds. */
  readonly cost: { readonly store: ReadCost; readonly plain: ReadCost };
  readonly put: Compared;
  readonly get: Compared;
  readonly range: Compared;
  /** The streamed put beside dd writing the same bytes (undefined for the other cases). */
  readonly dd: Compared | undefined;
}

type Side = 'storePut' | 'plainPut' | 'storeGet' | 'plainGet' | 'storeRange' | 'plainRange' | 'dd';

function compare(
  rounds: readonly Record<Side, number>[],
  bytes: Record<Side, number>,
  store: Side,
  peer: Side,
): Compared {
  return {
    store: median(rounds.map((seconds) => mbps(bytes[store], seconds[store]))),
    peer: median(rounds.map((seconds) => mbps(bytes[peer], seconds[peer]))),
    // Each round's two sides met the same disk state; the median round keeps one bad moment from deciding.
    ratio: median(rounds.map((seconds) => seconds[peer] / seconds[store])),
  };
}

/**
 * Times the store and the peer alternately, object by object (who goes first alternates too), so both meet the
 * same disk and the same load from other processes; a busy machine then slows both alike. Each round starts on
 * fresh directories.
 */
async function measure(workspace: string, item: Case): Promise<Measured> {
  const rounds: Record<Side, number>[] = [];
  const cost = { store: { cpu: 0, faults: 0, reads: 0 }, plain: { cpu: 0, faults: 0, reads: 0 } };
  // Round -1 warms both sides up (the JIT, the disk's first allocations) and is not counted.
  for (let round = -1; round < item.rounds; round++) {
    const seconds: Record<Side, number> = {
      storePut: 0,
      plainPut: 0,
      storeGet: 0,
      plainGet: 0,
      storeRange: 0,
      plainRange: 0,
      dd: 0,
    };
    const storeRoot = join(workspace, `store-${round}`);
    const plainRoot = join(workspace, `plain-${round}`);
    const store = await LocalStore.open({ root: storeRoot });
    const keys = Array.from(
      { length: item.count },
      (_, index) => `bench/${(index % 100).toString().padStart(2, '0')}/object-${index}.bin`,
    );
    for (const [index, key] of keys.entries()) {
      const storeTurn = async (): Promise<void> => {
        seconds.storePut += await timed(async () => {
          await store.put(key, body(item.bytes));
        });
      };
      const plainTurn = async (): Promise<void> => {
        const slash = key.lastIndexOf('/');
        seconds.plainPut += await timed(() =>
          plainPut(
            join(plainRoot, key.slice(0, slash)),
            key.slice(slash + 1),
            item.bytes,
            join(plainRoot, `${key.replaceAll('/', '_')}.tmp`),
          ),
        );
      };
      // dd writes the same amount as the streamed put, beside it, so both meet the disk in the same state.
      const ddTurn = (): void => {
        if (item.bytes !== DD_BYTES) return;
        const file = join(workspace, `dd-${round}.bin`);
        seconds.dd += ddSeconds(file);
        rmSync(file, { force: true });
      };
      if ((index + round) % 2 === 0) {
        await storeTurn();
        await plainTurn();
        ddTurn();
      } else {
        ddTurn();
        await plainTurn();
        await storeTurn();
      }
    }
    // Both copies of every object are read once, untimed, so that both sides start from the same page cache.
    for (const key of keys) {
      await drain((await store.get(key)).body);
      await plainGet(join(plainRoot, key));
    }
    const counted =
      round >= 0 ? cost : { store: { cpu: 0, faults: 0, reads: 0 }, plain: { cpu: 0, faults: 0, reads: 0 } };
    for (let pass = 0; pass < READ_PASSES; pass++) {
      for (const [index, key] of keys.entries()) {
        const storeTurn = async (): Promise<void> => {
          seconds.storeGet += await timedWithCost(counted.store, async () => {
            const got = await store.get(key);
            if ((await drain(got.body)) !== item.bytes) throw new Error(`short read of ${key}`);
          });
        };
        const plainTurn = async (): Promise<void> => {
          seconds.plainGet += await timedWithCost(counted.plain, async () => {
            if ((await plainGet(join(plainRoot, key))) !== item.bytes) throw new Error(`short read of ${key}`);
          });
        };
        const range = middleHalf(item.bytes);
        const storeRangeTurn = async (): Promise<void> => {
          seconds.storeRange += await timed(async () => {
            const got = await store.get(key, { range });
            if ((await drain(got.body)) !== rangeBytes(range)) throw new Error(`short range read of ${key}`);
          });
        };
        const plainRangeTurn = async (): Promise<void> => {
          seconds.plainRange += await timed(async () => {
            if ((await plainGet(join(plainRoot, key), range)) !== rangeBytes(range))
              throw new Error(`short range read of ${key}`);
          });
        };
        if ((index + round + pass) % 2 === 0) {
          await storeTurn();
          await plainTurn();
          await plainRangeTurn();
          await storeRangeTurn();
        } else {
          await plainTurn();
          await storeTurn();
          await storeRangeTurn();
          await plainRangeTurn();
        }
      }
    }
    await rm(storeRoot, { recursive: true, force: true });
    await rm(plainRoot, { recursive: true, force: true });
    if (round >= 0) rounds.push(seconds);
  }
  const written = item.bytes * item.count;
  const ranged = rangeBytes(middleHalf(item.bytes)) * item.count * READ_PASSES;
  const bytes: Record<Side, number> = {
    storePut: written,
    plainPut: written,
    storeGet: written * READ_PASSES,
    plainGet: written * READ_PASSES,
    storeRange: ranged,
    plainRange: ranged,
    dd: DD_BYTES,
  };
  return {
    cost,
    put: compare(rounds, bytes, 'storePut', 'plainPut'),
    get: compare(rounds, bytes, 'storeGet', 'plainGet'),
    range: compare(rounds, bytes, 'storeRange', 'plainRange'),
    dd: item.bytes === DD_BYTES ? compare(rounds, bytes, 'storePut', 'dd') : undefined,
  };
}

const DD_BYTES = 256 * MiB;

function ddSeconds(file: string): number {
  const started = process.hrtime.bigint();
  const result = spawnSync('dd', ['if=/dev/zero', `of=${file}`, 'bs=1M', `count=${DD_BYTES / MiB}`, 'conv=fsync'], {
    stdio: 'ignore',
  });
  if (result.status !== 0) throw new Error(`dd failed: ${result.error?.message ?? `status ${result.status}`}`);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** RSS and heap growth (MiB) during one 256 MiB streamed put of fresh 1 MiB chunks, sampled every few ms. */
async function peakMemoryOfLargePut(workspace: string): Promise<{ rss: number; heap: number }> {
  const store = await LocalStore.open({ root: join(workspace, 'memory') });
  (globalThis as { gc?: () => void }).gc?.();
  const baseRss = process.memoryUsage.rss();
  const baseHeap = process.memoryUsage().heapUsed;
  let peakRss = baseRss;
  let peakHeap = baseHeap;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  }, 5);
  try {
    await store.put('memory/large.bin', body(256 * MiB, true));
  } finally {
    clearInterval(sampler);
  }
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  return { rss: (peakRss - baseRss) / MiB, heap: (peakHeap - baseHeap) / MiB };
}

/**
 * RSS and heap growth (MiB) while one 256 MiB object is read through `get` (whole, default reader, each chunk
 * dropped once counted), beside the same read by plain fs; sampled every few ms. Flat means a few chunks' worth.
 */
async function peakMemoryOfLargeGet(
  workspace: string,
): Promise<{ store: { rss: number; heap: number }; plain: { rss: number; heap: number } }> {
  const store = await LocalStore.open({ root: join(workspace, 'memory') });
  const key = 'memory/large.bin';
  if ((await store.head(key)) === undefined) await store.put(key, body(256 * MiB));
  const path = join(workspace, 'memory', key);
  const sample = async (read: () => Promise<number>): Promise<{ rss: number; heap: number }> => {
    (globalThis as { gc?: () => void }).gc?.();
    const baseRss = process.memoryUsage.rss();
    const baseHeap = process.memoryUsage().heapUsed;
    let peakRss = baseRss;
    let peakHeap = baseHeap;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
      peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    }, 5);
    try {
      if ((await read()) !== 256 * MiB) throw new Error('short read of the large object');
    } finally {
      clearInterval(sampler);
    }
    return { rss: (peakRss - baseRss) / MiB, heap: (peakHeap - baseHeap) / MiB };
  };
  const storeSide = await sample(async () => drain((await store.get(key)).body));
  const plainSide = await sample(() => plainGet(path));
  return { store: storeSide, plain: plainSide };
}

/**
 * A Web stream over a file in fresh chunks of `chunkBytes`, one read ahead: a byte stream (`type: 'bytes'`), as
 * LocalStore's reads were made before, or a default stream, as they are made now (without LocalStore's open, stat
 * and proof, so the two kinds compare alone).
 */
function fileStreamOf(
  path: string,
  size: number,
  chunkBytes: number,
  kind: 'bytes' | 'default',
): ReadableStream<Uint8Array> {
  const fd = openSync(path, 'r');
  let position = 0;
  const pull = async (
    controller: ReadableStreamDefaultController<Uint8Array> | ReadableByteStreamController,
  ): Promise<void> => {
    const length = Math.min(chunkBytes, size - position);
    const chunk = Buffer.allocUnsafeSlow(length);
    const bytesRead = await new Promise<number>((resolve, reject) => {
      read(fd, chunk, 0, length, position, (error, count) => {
        if (error === null) resolve(count);
        else reject(error);
      });
    });
    position += bytesRead;
    controller.enqueue(chunk.subarray(0, bytesRead));
    if (position >= size || bytesRead === 0) {
      controller.close();
      closeSync(fd);
    }
  };
  if (kind === 'bytes') return new ReadableStream({ type: 'bytes', pull }, { highWaterMark: chunkBytes });
  return new ReadableStream<Uint8Array>({ pull }, { highWaterMark: 1 });
}

/**
 * The ways a platform offers to read a file as a Web stream, each reading the same files, in turn, as many times;
 * MB/s of the median round. What LocalStore's read uses is measured through LocalStore itself.
 */
async function readChoices(workspace: string): Promise<string[][]> {
  const store = await LocalStore.open({ root: join(workspace, 'choices') });
  const files = [
    { label: '1 MiB', key: 'choices/one.bin', bytes: MiB, reads: quick ? 100 : 400 },
    { label: '256 MiB', key: 'choices/large.bin', bytes: 256 * MiB, reads: quick ? 2 : 4 },
  ];
  for (const file of files) await store.put(file.key, body(file.bytes));
  const choices: readonly {
    readonly label: string;
    readonly read: (path: string, key: string, bytes: number) => Promise<number>;
  }[] = [
    { label: 'plain fs: FileHandle.read into fresh 1 MiB buffers (the peer)', read: (path) => plainGet(path) },
    {
      label: 'LocalStore get: default stream, fresh 1 MiB chunks (ours)',
      read: async (_, key) => drain((await store.get(key)).body),
    },
    {
      label: 'default stream, 1 MiB chunks, bare (ours without the get)',
      read: (path, _, bytes) => drain(fileStreamOf(path, bytes, MiB, 'default')),
    },
    {
      label: 'default stream, 512 KiB chunks, bare',
      read: (path, _, bytes) => drain(fileStreamOf(path, bytes, 512 * 1024, 'default')),
    },
    {
      label: 'byte stream, 1 MiB chunks, bare (ours before)',
      read: (path, _, bytes) => drain(fileStreamOf(path, bytes, MiB, 'bytes')),
    },
    {
      label: 'byte stream, 128 KiB chunks, bare',
      read: (path, _, bytes) => drain(fileStreamOf(path, bytes, 128 * 1024, 'bytes')),
    },
    {
      label: 'Readable.toWeb(createReadStream), 64 KiB',
      read: (path) => drain(Readable.toWeb(createReadStream(path)) as ReadableStream<Uint8Array>),
    },
    {
      label: 'Readable.toWeb(createReadStream), 1 MiB',
      read: (path) =>
        drain(Readable.toWeb(createReadStream(path, { highWaterMark: MiB })) as ReadableStream<Uint8Array>),
    },
  ];
  const rounds = quick ? 3 : 5;
  const rows: string[][] = choices.map((choice) => [choice.label]);
  for (const file of files) {
    const path = join(workspace, 'choices', file.key);
    const seconds = choices.map((): number[] => []);
    for (let round = 0; round < rounds; round++) {
      for (const [index, choice] of choices.entries()) {
        seconds[index]?.push(
          await timed(async () => {
            for (let read = 0; read < file.reads; read++) {
              if ((await choice.read(path, file.key, file.bytes)) !== file.bytes)
                throw new Error(`${choice.label}: short read`);
            }
          }),
        );
      }
    }
    const peer = median(seconds[0] ?? []);
    for (const [index, row] of rows.entries()) {
      const own = median(seconds[index] ?? []);
      row.push(format(mbps(file.bytes * file.reads, own)), (peer / own).toFixed(2));
    }
  }
  const separate = fileHandleStreamApart(
    files.map((file) => ({ path: join(workspace, 'choices', file.key), bytes: file.bytes, reads: file.reads })),
    rounds,
  );
  rows.push(['FileHandle.readableWebStream() (in a process of its own, see below)', ...separate]);
  return rows;
}

/**
 * `FileHandle.readableWebStream()` beside the plain loop, in a child process: in this one, after many reads, Node
 * 20 closed one of its handles on garbage collection and then died of a segmentation fault. MB/s and ratio per
 * file, or the way the child failed.
 */
function fileHandleStreamApart(
  files: readonly { path: string; bytes: number; reads: number }[],
  rounds: number,
): string[] {
  const script = `
    const { open } = await import('node:fs/promises');
    const { Buffer } = await import('node:buffer');
    const files = ${JSON.stringify(files)};
    const drain = async (stream) => { let total = 0; for await (const chunk of stream) total += chunk.byteLength; return total; };
    const viaStream = async (path) => { const handle = await open(path, 'r'); try { return await drain(handle.readableWebStream()); } finally { await handle.close(); } };
    const plain = async (path) => {
      const handle = await open(path, 'r');
      try {
        const { size } = await handle.stat();
        let total = 0;
        while (total < size) { const length = Math.min(${MiB}, size - total); total += (await handle.read(Buffer.allocUnsafeSlow(length), 0, length, total)).bytesRead; }
        return total;
      } finally { await handle.close(); }
    };
    const out = [];
    for (const file of files) {
      const seconds = [[], []];
      for (let round = 0; round < ${rounds}; round++) {
        for (const [index, read] of [plain, viaStream].entries()) {
          const started = performance.now();
          for (let count = 0; count < file.reads; count++) if ((await read(file.path)) !== file.bytes) throw new Error('short read');
          seconds[index].push((performance.now() - started) / 1000);
        }
      }
      const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
      out.push(file.bytes * file.reads / median(seconds[1]) / 1e6, median(seconds[0]) / median(seconds[1]));
    }
    console.log(JSON.stringify(out));
  `;
  const args = versions['deno'] === undefined ? ['--input-type=module', '-e', script] : ['eval', script];
  const child = spawnSync(process.execPath, args, { encoding: 'utf8' });
  if (child.status !== 0) {
    const failure = child.signal ?? `exit ${String(child.status)}`;
    return files.flatMap(() => [`failed (${failure})`, '']);
  }
  const [oneRate = Number.NaN, oneRatio = Number.NaN, largeRate = Number.NaN, largeRatio = Number.NaN] = JSON.parse(
    child.stdout,
  ) as number[];
  return [format(oneRate), oneRatio.toFixed(2), format(largeRate), largeRatio.toFixed(2)];
}

const versions: Record<string, string | undefined> = process.versions;
const runtime = versions['deno'] === undefined ? `Node ${process.version}` : `Deno ${versions['deno']}`;

const workspace = await mkdtemp(join(tmpdir(), 'stowage-bench-local-'));
try {
  const load = loadavg()
    .map((value) => value.toFixed(1))
    .join(' ');
  console.log(
    `${runtime}: LocalStore vs plain fs in ${workspace} (${quick ? 'quick' : 'full'} run, store and plain fs alternating object by object; load average ${load})`,
  );
  // First, while the process has not yet touched large buffers, so RSS growth is the put's own.
  const memory = await peakMemoryOfLargePut(workspace);
  const readMemory = await peakMemoryOfLargeGet(workspace);
  const rows: string[][] = [];
  const costRows: string[][] = [];
  let large: Measured | undefined;
  for (const item of CASES) {
    const measured = await measure(workspace, item);
    for (const [side, label] of [
      ['store', 'LocalStore'],
      ['plain', 'plain fs'],
    ] as const) {
      const { cpu, faults, reads } = measured.cost[side];
      costRows.push([
        item.label,
        label,
        (cpu / reads).toFixed(2),
        Number.isNaN(faults) ? 'n/a' : (faults / reads).toFixed(0),
      ]);
    }
    if (item.bytes === DD_BYTES) large = measured;
    rows.push([
      item.label,
      `${item.count} x ${item.rounds}`,
      format(measured.put.store),
      format(measured.put.peer),
      measured.put.ratio.toFixed(2),
      format(measured.get.store),
      format(measured.get.peer),
      measured.get.ratio.toFixed(2),
      format(measured.range.store),
      format(measured.range.peer),
      measured.range.ratio.toFixed(2),
    ]);
  }
  printTable(
    `${runtime}: throughput (MB/s, median round; gets read each object ${READ_PASSES.toString()} times, whole and its middle half); ratio = LocalStore / plain fs, median of the rounds' ratios (target >= 0.80)`,
    [
      'object',
      'objects x rounds',
      'put store',
      'put plain',
      'put ratio',
      'get store',
      'get plain',
      'get ratio',
      'range store',
      'range plain',
      'range ratio',
    ],
    rows,
  );

  printTable(
    `${runtime}: cost of one whole get, mean over the counted rounds (CPU of the whole process, so other work such as garbage collection is included)`,
    ['object', 'reader', 'CPU ms', 'minor page faults'],
    costRows,
  );

  const dd = large?.dd;
  printTable(
    '256 MiB streamed put beside dd bs=1M count=256 conv=fsync on the same disk, alternating (target >= 0.70)',
    ['LocalStore MB/s', 'dd MB/s', 'ratio'],
    [[format(dd?.store ?? Number.NaN), format(dd?.peer ?? Number.NaN), (dd?.ratio ?? Number.NaN).toFixed(2)]],
  );

  printTable(
    `${runtime}: peak memory of one 256 MiB object (put target < 100 MiB; get: flat, near plain fs)`,
    ['operation', 'RSS growth MiB', 'heap growth MiB'],
    [
      ['LocalStore streamed put', memory.rss.toFixed(1), memory.heap.toFixed(1)],
      ['LocalStore get, whole', readMemory.store.rss.toFixed(1), readMemory.store.heap.toFixed(1)],
      ['plain fs read, 1 MiB buffers', readMemory.plain.rss.toFixed(1), readMemory.plain.heap.toFixed(1)],
    ],
  );
  printTable(
    `${runtime}: ways to read a file as a Web stream, each file read in turn by every way (MB/s, median of rounds; ratio to plain fs)`,
    ['way', '1 MiB MB/s', '1 MiB ratio', '256 MiB MB/s', '256 MiB ratio'],
    await readChoices(workspace),
  );
  const leftovers = await readdir(workspace);
  if (leftovers.some((name) => name.startsWith('dd-'))) console.log('warning: dd files left behind');
} finally {
  await rm(workspace, { recursive: true, force: true });
}

// The same run on Deno, where a Web stream costs differently; its tables follow Node's.
if (versions['deno'] === undefined && !process.argv.includes('--no-deno')) runOnDeno(fileURLToPath(import.meta.url));
