// `npm run bench -- s3 [--quick] [--only=LABEL]`: put and get throughput and peak memory for 4 KiB, 1 MiB and 256 MiB objects
// through S3Store, beside the bare SDK making the same requests (PutObject for bytes, lib-storage Upload for the
// streamed 256 MiB put, GetObject read to the end), against one s3rver on 127.0.0.1 started for the run. Store and
// SDK alternate operation by operation within each round so both see the same server state; throughput is over all
// rounds. Peak memory is this process's resident set above its level before the operations, measured for each
// side on its own (s3rver runs in its own process).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { S3Settings } from '@stowage/core';
import { S3Store, checksumConfig, createS3Client } from '@stowage/s3';
import { S3RVER_CREDENTIALS, startS3Server } from '@stowage/s3-test-server';
import { printTable } from './_table.ts';

const KiB = 1024;
const MiB = 1024 * KiB;
const quick = process.argv.includes('--quick');
const PART_SIZE = 5 * MiB;
const QUEUE_SIZE = 4;

interface Case {
  readonly label: string;
  readonly bytes: number;
  /** Operations per measurement. */
  readonly operations: number;
  /** Whether the put body is a stream of unknown length (else a byte array of known length). */
  readonly streamed: boolean;
}

const ALL_CASES: readonly Case[] = [
  { label: '4 KiB', bytes: 4 * KiB, operations: quick ? 100 : 400, streamed: false },
  { label: '1 MiB', bytes: MiB, operations: quick ? 10 : 100, streamed: false },
  { label: '256 MiB (streamed put)', bytes: 256 * MiB, operations: 1, streamed: true },
];
const only = process.argv.find((argument) => argument.startsWith('--only='))?.slice('--only='.length);
/** `--only=1` (say) runs just the cases whose label starts with it. */
const CASES = only === undefined ? ALL_CASES : ALL_CASES.filter((scenario) => scenario.label.startsWith(only));
const ROUNDS = quick ? 1 : 7;

/** A stream of `bytes` made 1 MiB at a time from a small random pool, so the source never holds the object. */
function generated(bytes: number, pool: Uint8Array): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (sent >= bytes) {
          controller.close();
          return;
        }
        const size = Math.min(MiB, bytes - sent);
        const offset = (sent / MiB) % (pool.byteLength / MiB - 1);
        controller.enqueue(pool.slice(offset * MiB, offset * MiB + size));
        sent += size;
      },
    },
    { highWaterMark: 0 },
  );
}

async function drain(stream: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>): Promise<number> {
  let total = 0;
  for await (const chunk of stream) total += chunk.byteLength;
  return total;
}

/** Peak resident memory (bytes above the level before) while `work` runs, sampled every couple of milliseconds. */
async function peakMemoryOf(work: () => Promise<void>): Promise<number> {
  (globalThis as { gc?: () => void }).gc?.();
  const baseline = process.memoryUsage.rss();
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 2);
  try {
    await work();
  } finally {
    clearInterval(sampler);
  }
  return Math.max(peak, process.memoryUsage.rss()) - baseline;
}

type Side = 'storePut' | 'sdkPut' | 'storeGet' | 'sdkGet';

/** What a memory probe (this script run again, in a fresh process) is asked to do. */
interface ProbeRequest {
  readonly endpoint: string;
  readonly side: Side;
  readonly label: string;
  /** The object a get reads (written during the timed rounds). */
  readonly key: string;
}

const megabytesPerSecond = (bytes: number, seconds: number): number => bytes / MiB / seconds;
const format = (value: number): string => (value >= 100 ? value.toFixed(0) : value.toFixed(1));

/** The four operations of a case, against the server at `endpoint`, and how to release the clients. */
function operationsAgainst(endpoint: string): {
  readonly run: Record<Side, (scenario: Case, key: string) => Promise<void>>;
  readonly close: () => void;
} {
  const settings: S3Settings = {
    uploadsBucket: 'bench-store',
    avatarsBucket: 'bench-avatars',
    endpointUrl: endpoint,
    region: 'us-east-1',
    addressingStyle: 'path',
    skipChecksum: false,
    uploadsStorageClass: undefined,
    avatarPublicUrlPrefix: undefined,
    credentials: { ...S3RVER_CREDENTIALS },
  };
  const store = S3Store.fromSettings(settings, 'uploads', {
    partSize: PART_SIZE,
    queueSize: QUEUE_SIZE,
    client: createS3Client(settings),
  });
  // The bare SDK needs the same checksum settings: with the defaults s3rver stores streamed bodies corrupted.
  const sdk = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { ...S3RVER_CREDENTIALS },
    ...checksumConfig('s3-compatible'),
  });
  const pool = randomBytes(17 * MiB);
  const putBody = (scenario: Case, index: number): Uint8Array | ReadableStream<Uint8Array> =>
    scenario.streamed ? generated(scenario.bytes, pool) : pool.subarray(index % MiB, (index % MiB) + scenario.bytes);
  return {
    run: {
      storePut: async (scenario, key) => {
        await store.put(key, putBody(scenario, key.length));
      },
      sdkPut: async (scenario, key) => {
        const body = putBody(scenario, key.length);
        if (body instanceof ReadableStream) {
          const upload = new Upload({
            client: sdk,
            params: { Bucket: 'bench-sdk', Key: key, Body: body },
            partSize: PART_SIZE,
            queueSize: QUEUE_SIZE,
          });
          await upload.done();
        } else {
          await sdk.send(
            new PutObjectCommand({ Bucket: 'bench-sdk', Key: key, Body: body, ContentLength: body.byteLength }),
          );
        }
      },
      storeGet: async (scenario, key) => {
        const read = await drain((await store.get(key)).body);
        if (read !== scenario.bytes) throw new Error(`short read through S3Store: ${read} of ${scenario.bytes}`);
      },
      sdkGet: async (scenario, key) => {
        const output = await sdk.send(new GetObjectCommand({ Bucket: 'bench-sdk', Key: key }));
        const read = await drain(output.Body?.transformToWebStream() as ReadableStream<Uint8Array>);
        if (read !== scenario.bytes) throw new Error(`short read through the SDK: ${read} of ${scenario.bytes}`);
      },
    },
    close: () => {
      store.destroy();
      sdk.destroy();
    },
  };
}

/**
 * In a fresh process, so no earlier operation has already grown the resident set: a small warm-up operation of
 * the same kind (loading and compiling the code it runs), then the measured one. Prints `PEAK <bytes>`.
 */
async function probeMemory(request: ProbeRequest): Promise<void> {
  const scenario = ALL_CASES.find((candidate) => candidate.label === request.label);
  if (scenario === undefined) throw new Error(`no case ${request.label}`);
  const { run, close } = operationsAgainst(request.endpoint);
  try {
    const warmUp: Case = { label: 'warm-up', bytes: 1024, operations: 1, streamed: scenario.streamed };
    const warmKey = `memory-probe/warm-up/${request.side}`;
    const putSide = request.side === 'storeGet' ? 'storePut' : request.side === 'sdkGet' ? 'sdkPut' : request.side;
    await run[putSide](warmUp, warmKey);
    if (request.side === 'storeGet' || request.side === 'sdkGet') await run[request.side](warmUp, warmKey);
    const key = request.side.endsWith('Put') ? `memory-probe/${request.side}` : request.key;
    console.log(`PEAK ${await peakMemoryOf(() => run[request.side](scenario, key))}`);
  } finally {
    close();
  }
}

function probeInFreshProcess(request: ProbeRequest): number {
  const result = spawnSync(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), `--memory-probe=${JSON.stringify(request)}`],
    {
      encoding: 'utf8',
      maxBuffer: 16 * MiB,
    },
  );
  const peak = /^PEAK (\d+)$/mu.exec(result.stdout)?.[1];
  if (result.status !== 0 || peak === undefined)
    throw new Error(`memory probe ${JSON.stringify(request)} failed:\n${result.stdout}\n${result.stderr.slice(-2000)}`);
  return Number(peak);
}

const probe = process.argv.find((argument) => argument.startsWith('--memory-probe='))?.slice('--memory-probe='.length);
if (probe !== undefined) {
  await probeMemory(JSON.parse(probe) as ProbeRequest);
} else {
  await benchmark();
}

async function benchmark(): Promise<void> {
  const server = await startS3Server({ buckets: ['bench-store', 'bench-sdk'] });
  try {
    const { run, close } = operationsAgainst(server.endpoint);
    const seconds = async (work: () => Promise<void>): Promise<number> => {
      const started = process.hrtime.bigint();
      await work();
      return Number(process.hrtime.bigint() - started) / 1e9;
    };

    const rows: string[][] = [];
    for (const scenario of CASES) {
      const prefix = `${scenario.label.split(' ')[0] ?? 'x'}-${scenario.bytes}`;
      // Seconds per round for each side. Within a round the two alternate operation by operation (who goes first
      // alternating too), so both meet the server in the same state; round -1 warms both up and is not counted.
      const rounds: { storePut: number; sdkPut: number; storeGet: number; sdkGet: number }[] = [];
      for (let round = -1; round < ROUNDS; round++) {
        const spent = { storePut: 0, sdkPut: 0, storeGet: 0, sdkGet: 0 };
        const keyOf = (index: number): string => `${prefix}/round-${round}/${index}`;
        for (const [ours, theirs] of [
          ['storePut', 'sdkPut'],
          ['storeGet', 'sdkGet'],
        ] as const) {
          for (let index = 0; index < scenario.operations; index++) {
            const storeTurn = async (): Promise<void> => {
              spent[ours] += await seconds(() => run[ours](scenario, keyOf(index)));
            };
            const sdkTurn = async (): Promise<void> => {
              spent[theirs] += await seconds(() => run[theirs](scenario, keyOf(index)));
            };
            if ((index + round) % 2 === 0) {
              await storeTurn();
              await sdkTurn();
            } else {
              await sdkTurn();
              await storeTurn();
            }
          }
        }
        if (round >= 0) rounds.push(spent);
      }
      // Peak memory of one operation, each side in a fresh process of its own.
      const peaks = { storePut: 0, sdkPut: 0, storeGet: 0, sdkGet: 0 };
      for (const side of ['storePut', 'sdkPut', 'storeGet', 'sdkGet'] as const) {
        peaks[side] = probeInFreshProcess({
          endpoint: server.endpoint,
          side,
          label: scenario.label,
          key: `${prefix}/round-0/0`,
        });
      }
      const total = scenario.bytes * scenario.operations;
      for (const [operation, ours, theirs] of [
        ['put', 'storePut', 'sdkPut'],
        ['get', 'storeGet', 'sdkGet'],
      ] as const) {
        // Over all rounds together: this server's latencies have a long tail (a tenth of the requests take two to
        // three times the median), so one round's sum swings with a few slow requests, and the whole run's does not.
        const ourSeconds = rounds.reduce((sum, spent) => sum + spent[ours], 0);
        const theirSeconds = rounds.reduce((sum, spent) => sum + spent[theirs], 0);
        const ourRate = megabytesPerSecond(total * rounds.length, ourSeconds);
        const theirRate = megabytesPerSecond(total * rounds.length, theirSeconds);
        const ratio = theirSeconds / ourSeconds;
        const opsPerSecond = (scenario.operations * rounds.length) / ourSeconds;
        rows.push([
          scenario.label,
          operation,
          format(ourRate),
          format(theirRate),
          ratio.toFixed(2),
          scenario.bytes < MiB ? format(opsPerSecond) : '',
          format(peaks[ours] / MiB),
          format(peaks[theirs] / MiB),
        ]);
      }
    }
    printTable(
      `S3Store vs bare SDK against s3rver 3.7.1 on 127.0.0.1 (${ROUNDS} round${ROUNDS === 1 ? '' : 's'}, operations alternating; part ${PART_SIZE / MiB} MiB x queue ${QUEUE_SIZE}; target: ratio >= 0.90, streamed put peak < 100 MiB)`,
      ['object', 'op', 'S3Store MiB/s', 'SDK MiB/s', 'ratio', 'S3Store ops/s', 'S3Store peak MiB', 'SDK peak MiB'],
      rows,
    );
    console.log(
      '\nS3Store puts also hash every byte (SHA-256) and, for a multipart put without a SHA-256 given up front, record it\n' +
        'with a server-side copy onto itself; the bare SDK does neither. Peak memory is the resident set above the level\n' +
        'before the operation.',
    );
    close();
  } finally {
    await server.stop();
  }
}
