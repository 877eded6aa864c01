// `npm run bench -- s3 [--quick]`: put and get throughput and peak memory for 4 KiB, 1 MiB and 256 MiB objects
// through S3Store, beside the bare SDK making the same requests (PutObject for bytes, lib-storage Upload for the
// streamed 256 MiB put, GetObject read to the end), against one s3rver on 127.0.0.1 started for the run. Store and
// SDK alternate within each round so both see the same server state; the median round is reported. Peak memory is
// this process's resident set above its level before the operation (s3rver runs in its own process).
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

const CASES: readonly Case[] = [
  { label: '4 KiB', bytes: 4 * KiB, operations: quick ? 100 : 400, streamed: false },
  { label: '1 MiB', bytes: MiB, operations: quick ? 10 : 40, streamed: false },
  { label: '256 MiB (streamed put)', bytes: 256 * MiB, operations: 1, streamed: true },
];
const ROUNDS = quick ? 1 : 3;

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

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
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

  const storePut = async (scenario: Case, key: string): Promise<void> => {
    for (let index = 0; index < scenario.operations; index++) {
      const body = scenario.streamed ? generated(scenario.bytes, pool) : pool.subarray(index % MiB, (index % MiB) + scenario.bytes);
      await store.put(`${key}/${index}`, body);
    }
  };
  const sdkPut = async (scenario: Case, key: string): Promise<void> => {
    for (let index = 0; index < scenario.operations; index++) {
      if (scenario.streamed) {
        const upload = new Upload({
          client: sdk,
          params: { Bucket: 'bench-sdk', Key: `${key}/${index}`, Body: generated(scenario.bytes, pool) },
          partSize: PART_SIZE,
          queueSize: QUEUE_SIZE,
        });
        await upload.done();
      } else {
        const body = pool.subarray(index % MiB, (index % MiB) + scenario.bytes);
        await sdk.send(new PutObjectCommand({ Bucket: 'bench-sdk', Key: `${key}/${index}`, Body: body, ContentLength: body.byteLength }));
      }
    }
  };
  const storeGet = async (scenario: Case, key: string): Promise<void> => {
    for (let index = 0; index < scenario.operations; index++) {
      const read = await drain((await store.get(`${key}/${index}`)).body);
      if (read !== scenario.bytes) throw new Error(`short read through S3Store: ${read} of ${scenario.bytes}`);
    }
  };
  const sdkGet = async (scenario: Case, key: string): Promise<void> => {
    for (let index = 0; index < scenario.operations; index++) {
      const output = await sdk.send(new GetObjectCommand({ Bucket: 'bench-sdk', Key: `${key}/${index}` }));
      const read = await drain(output.Body?.transformToWebStream() as ReadableStream<Uint8Array>);
      if (read !== scenario.bytes) throw new Error(`short read through the SDK: ${read} of ${scenario.bytes}`);
    }
  };

  const rows: string[][] = [];
  for (const scenario of CASES) {
    const results = { storePut: [] as Measurement[], sdkPut: [] as Measurement[], storeGet: [] as Measurement[], sdkGet: [] as Measurement[] };
    for (let round = 0; round < ROUNDS; round++) {
      const key = `${scenario.label.split(' ')[0] ?? 'x'}-${scenario.bytes}/round-${round}`;
      // Alternate which goes first, so neither always meets a warmer server.
      const storeFirst = round % 2 === 0;
      for (const first of storeFirst ? ['store', 'sdk'] : ['sdk', 'store']) {
        if (first === 'store') results.storePut.push(await measure(() => storePut(scenario, key)));
        else results.sdkPut.push(await measure(() => sdkPut(scenario, key)));
      }
      for (const first of storeFirst ? ['store', 'sdk'] : ['sdk', 'store']) {
        if (first === 'store') results.storeGet.push(await measure(() => storeGet(scenario, key)));
        else results.sdkGet.push(await measure(() => sdkGet(scenario, key)));
      }
    }
    const total = scenario.bytes * scenario.operations;
    for (const [operation, ours, theirs] of [
      ['put', results.storePut, results.sdkPut],
      ['get', results.storeGet, results.sdkGet],
    ] as const) {
      const ourRate = megabytesPerSecond(total, median(ours.map((m) => m.seconds)));
      const theirRate = megabytesPerSecond(total, median(theirs.map((m) => m.seconds)));
      const opsPerSecond = scenario.operations / median(ours.map((m) => m.seconds));
      rows.push([
        scenario.label,
        operation,
        format(ourRate),
        format(theirRate),
        (ourRate / theirRate).toFixed(2),
        scenario.bytes < MiB ? format(opsPerSecond) : '',
        format(Math.max(...ours.map((m) => m.peakBytes)) / MiB),
        format(Math.max(...theirs.map((m) => m.peakBytes)) / MiB),
      ]);
    }
  }
  printTable(
    `S3Store vs bare SDK against s3rver 3.7.1 on 127.0.0.1 (median of ${ROUNDS} round${ROUNDS === 1 ? '' : 's'}; part ${PART_SIZE / MiB} MiB x queue ${QUEUE_SIZE})`,
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
