// `npm run bench -- s3 [--quick] [--only=LABEL]`: put and get throughput and peak memory for 4 KiB, 1 MiB and 256 MiB objects
// through S3Store, beside the bare SDK making the same requests (PutObject for bytes, lib-storage Upload for the
// streamed 256 MiB put, GetObject read to the end), against one s3rver on 127.0.0.1 started for the run. Store and
// SDK alternate operation by operation within each round so both see the same server state; throughput is over all
// rounds. Peak memory is this process's resident set above its level before the operations, measured for each
// side on its own (s3rver runs in its own process).
import { randomBytes } from 'node:crypto';
import process from 'node:process';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { S3Settings } from '@stowage/core';
import { S3Store, checksumConfig, createS3Client } from '@stowage/s3';
import { startS3Server } from '@stowage/s3-test-server';
import { printTable } from './_table.ts';

const KiB = 1024;
const MiB = 1024 * KiB;
const quick = process.argv.includes('--quick');
const PART_SIZE = 8 * MiB;
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

interface Measurement {
  readonly seconds: number;
  readonly peakBytes: number;
}

/** Runs `work`, timing it and sampling the resident set every few milliseconds for its peak above the start. */
async function measure(work: () => Promise<void>): Promise<Measurement> {
  (globalThis as { gc?: () => void }).gc?.();
  const baseline = process.memoryUsage.rss();
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 2);
  const started = process.hrtime.bigint();
  try {
    await work();
  } finally {
    clearInterval(sampler);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  peak = Math.max(peak, process.memoryUsage.rss());
  return { seconds, peakBytes: peak - baseline };
}

const megabytesPerSecond = (bytes: number, seconds: number): number => bytes / MiB / seconds;
const format = (value: number): string => (value >= 100 ? value.toFixed(0) : value.toFixed(1));

const server = await startS3Server({ buckets: ['bench-store', 'bench-sdk'] });
try {
  const settings: S3Settings = {
    uploadsBucket: 'bench-store',
    avatarsBucket: 'bench-avatars',
    endpointUrl: server.endpoint,
    region: 'us-east-1',
    addressingStyle: 'path',
    skipChecksum: false,
    uploadsStorageClass: undefined,
    avatarPublicUrlPrefix: undefined,
    credentials: server.clientConfig.credentials,
  };
  const store = S3Store.fromSettings(settings, 'uploads', { partSize: PART_SIZE, queueSize: QUEUE_SIZE, client: createS3Client(settings) });
  // The bare SDK needs the same checksum settings: with the defaults s3rver stores streamed bodies corrupted.
  const sdk = new S3Client({ ...server.clientConfig, ...checksumConfig('s3-compatible') });
  const pool = randomBytes(17 * MiB);

  const putBody = (scenario: Case, index: number): Uint8Array | ReadableStream<Uint8Array> =>
    scenario.streamed ? generated(scenario.bytes, pool) : pool.subarray(index % MiB, (index % MiB) + scenario.bytes);
  const storePut = async (scenario: Case, key: string): Promise<void> => {
    await store.put(key, putBody(scenario, key.length));
  };
  const sdkPut = async (scenario: Case, key: string): Promise<void> => {
    const body = putBody(scenario, key.length);
    if (body instanceof ReadableStream) {
      const upload = new Upload({ client: sdk, params: { Bucket: 'bench-sdk', Key: key, Body: body }, partSize: PART_SIZE, queueSize: QUEUE_SIZE });
      await upload.done();
    } else {
      await sdk.send(new PutObjectCommand({ Bucket: 'bench-sdk', Key: key, Body: body, ContentLength: body.byteLength }));
    }
  };
  const storeGet = async (scenario: Case, key: string): Promise<void> => {
    const read = await drain((await store.get(key)).body);
    if (read !== scenario.bytes) throw new Error(`short read through S3Store: ${read} of ${scenario.bytes}`);
  };
  const sdkGet = async (scenario: Case, key: string): Promise<void> => {
    const output = await sdk.send(new GetObjectCommand({ Bucket: 'bench-sdk', Key: key }));
    const read = await drain(output.Body?.transformToWebStream() as ReadableStream<Uint8Array>);
    if (read !== scenario.bytes) throw new Error(`short read through the SDK: ${read} of ${scenario.bytes}`);
  };
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
      for (const [ours, theirs, storeSide, sdkSide] of [
        ['storePut', 'sdkPut', storePut, sdkPut],
        ['storeGet', 'sdkGet', storeGet, sdkGet],
      ] as const) {
        for (let index = 0; index < scenario.operations; index++) {
          const storeTurn = async (): Promise<void> => {
            spent[ours] += await seconds(() => storeSide(scenario, keyOf(index)));
          };
          const sdkTurn = async (): Promise<void> => {
            spent[theirs] += await seconds(() => sdkSide(scenario, keyOf(index)));
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
    // Peak memory, each side on its own: a few operations of the case, the sampler running throughout.
    const sampled = Math.min(scenario.operations, 20);
    const peaks = { storePut: 0, sdkPut: 0, storeGet: 0, sdkGet: 0 };
    for (const [side, work] of [
      ['storePut', storePut],
      ['sdkPut', sdkPut],
      ['storeGet', storeGet],
      ['sdkGet', sdkGet],
    ] as const) {
      peaks[side] = (
        await measure(async () => {
          for (let index = 0; index < sampled; index++) await work(scenario, `${prefix}/round-0/${index}`);
        })
      ).peakBytes;
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
  store.client.destroy();
  sdk.destroy();
} finally {
  await server.stop();
}
