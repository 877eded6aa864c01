// Measures the daemons' memory and the start time for either object store:
// `npm run measure -w @stowage/ceph-server -- memstore|bluestore [SMALL_OBJECTS] [LARGE_OBJECTS]`.
// Puts SMALL_OBJECTS of 64 KiB (default 500), then LARGE_OBJECTS of 8 MiB (default 20), printing the resident
// memory of the monitor, the OSD and the gateway after each stage (from /proc, so Linux only).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startCephServer } from './start-ceph-server.ts';

const [store = 'memstore', small = '500', large = '20'] = process.argv.slice(2);
if (store !== 'memstore' && store !== 'bluestore')
  throw new Error(`unknown object store ${JSON.stringify(store)}: use memstore or bluestore`);
const mib = (kib: number): number => Math.round(kib / 1024);

/** Resident and peak resident memory of a process, in MiB. */
function memory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'mu').exec(status)?.[1] ?? Number.NaN);
  return { rss: mib(field('VmRSS')), peak: mib(field('VmHWM')) };
}

const started = Date.now();
const server = await startCephServer({ buckets: ['measure-bucket'], objectStore: store });
process.stdout.write(`${store}: ready in ${((Date.now() - started) / 1_000).toFixed(1)} s\n`);
const client = new S3Client({ ...server.clientConfig, requestChecksumCalculation: 'WHEN_REQUIRED' });
function report(stage: string): void {
  const daemons = {
    monitor: memory(server.pids.monitor),
    osd: memory(server.pids.osd),
    gateway: memory(server.pids.gateway),
  };
  const total = Object.values(daemons).reduce((sum, { rss }) => sum + rss, 0);
  const peak = Object.values(daemons).reduce((sum, { peak: daemonPeak }) => sum + daemonPeak, 0);
  const each = Object.entries(daemons)
    .map(([name, { rss }]) => `${name} ${rss}`)
    .join(', ');
  process.stdout.write(`${store}: ${stage}: ${each}; total ${total} MiB (sum of peaks ${peak} MiB)\n`);
}
async function put(prefix: string, count: number, size: number): Promise<void> {
  const body = randomBytes(size);
  const began = Date.now();
  for (let index = 0; index < count; index += 10) {
    const batch = Array.from({ length: Math.min(10, count - index) }, (_, offset) => `${prefix}/${index + offset}`);
    await Promise.all(
      batch.map((key) => client.send(new PutObjectCommand({ Bucket: 'measure-bucket', Key: key, Body: body }))),
    );
  }
  process.stdout.write(
    `${store}: ${count} puts of ${size / 1024} KiB in ${((Date.now() - began) / 1_000).toFixed(1)} s\n`,
  );
}
try {
  report('idle');
  await put('small', Number(small), 64 * 1024);
  report(`after ${small} x 64 KiB`);
  await put('large', Number(large), 8 * 1024 * 1024);
  report(`after ${large} x 8 MiB more`);
} finally {
  client.destroy();
  const stopping = Date.now();
  await server.stop();
  process.stdout.write(`${store}: stopped in ${((Date.now() - stopping) / 1_000).toFixed(1)} s\n`);
}
