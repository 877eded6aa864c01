// `npm run bench -- cache [--quick]`: reads through withCache() when every slice is a hit (the tier is a LocalStore
// on a temporary directory), beside reading the same objects straight from a LocalStore on the same disk, in one
// run. By default the cache checks each slice's SHA-256 on every hit (with Web Crypto, or an injected native hash);
// `verify: 'on-change'` checks it only when the tier object changed. All three are measured.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { withCache } from '@stowage/core';
import type { CachedStore, ObjectStore } from '@stowage/core';
import { nodeSha256 } from '@stowage/core/node';
import { LocalStore } from '@stowage/local';
import { printTable } from './_table.ts';

const KiB = 1024;
const MiB = 1024 * KiB;
const quick = process.argv.includes('--quick');

interface Case {
  readonly label: string;
  readonly bytes: number;
  /** Distinct objects, each read once per pass. */
  readonly objects: number;
  /** Passes over all objects per round. */
  readonly passes: number;
}

const CASES: readonly Case[] = [
  { label: '32 KiB', bytes: 32 * KiB, objects: 64, passes: quick ? 4 : 20 },
  { label: '8 MiB', bytes: 8 * MiB, objects: 8, passes: quick ? 2 : 8 },
];
const ROUNDS = quick ? 3 : 7;

function patterned(bytes: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: bytes }, (_, index) => (index * 31 + seed * 7) % 251);
}

async function drain(stream: ReadableStream<Uint8Array>): Promise<number> {
  let total = 0;
  for await (const chunk of stream) total += chunk.byteLength;
  return total;
}

async function readOnce(store: ObjectStore, key: string, bytes: number): Promise<number> {
  const started = process.hrtime.bigint();
  if ((await drain((await store.get(key)).body)) !== bytes) throw new Error(`short read of ${key} from ${store.name}`);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

const format = (value: number): string => (value >= 100 ? value.toFixed(0) : value.toFixed(1));

const workspace = await mkdtemp(join(tmpdir(), 'stowage-bench-cache-'));
try {
  const direct = await LocalStore.open({ root: join(workspace, 'direct') });
  const tier = async (name: string): Promise<LocalStore> => LocalStore.open({ root: join(workspace, name) });
  const caches: readonly { readonly check: string; readonly store: CachedStore }[] = [
    { check: 'every hit, Web Crypto (default)', store: withCache(direct, { tier: await tier('tier-1') }) },
    { check: 'every hit, nodeSha256', store: withCache(direct, { tier: await tier('tier-2'), sha256: nodeSha256 }) },
    { check: 'on-change, nodeSha256', store: withCache(direct, { tier: await tier('tier-3'), sha256: nodeSha256, verify: 'on-change' }) },
  ];
  const rows: string[][] = [];
  for (const item of CASES) {
    const keys = Array.from({ length: item.objects }, (_, index) => `bench/${item.label.replace(' ', '')}/object-${index}.bin`);
    for (const [index, key] of keys.entries()) await direct.put(key, patterned(item.bytes, index));
    // Warm every cache, so the timed reads below are hits only (checked through the counters after).
    for (const { store } of caches) {
      for (const key of keys) await readOnce(store, key, item.bytes);
      await store.drain();
    }
    const before = caches.map(({ store }) => store.stats());
    const readers: readonly ObjectStore[] = [direct, ...caches.map(({ store }) => store)];
    // Seconds per reader per round. Every object is read by every reader in turn, the order rotating, so a burst of
    // load from elsewhere on the machine lands on all of them alike.
    const seconds = readers.map((): number[] => []);
    let turn = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const sums = readers.map(() => 0);
      for (let pass = 0; pass < item.passes; pass++) {
        for (const key of keys) {
          turn += 1;
          for (let step = 0; step < readers.length; step++) {
            const which = (turn + step) % readers.length;
            const reader = readers[which];
            if (reader !== undefined) sums[which] = (sums[which] ?? 0) + (await readOnce(reader, key, item.bytes));
          }
        }
      }
      for (const [which, sum] of sums.entries()) seconds[which]?.push(sum);
    }
    const directRuns = seconds[0] ?? [];
    const cachedRuns = seconds.slice(1);
    const total = item.bytes * item.objects * item.passes;
    const directRate = total / median(directRuns) / 1e6;
    for (const [which, { check, store }] of caches.entries()) {
      const after = store.stats();
      const earlier = before[which];
      if (earlier === undefined || after.misses !== earlier.misses || after.originFetches !== earlier.originFetches) {
        throw new Error(`${check}: the timed reads were not all hits`);
      }
      const cachedRate = total / median(cachedRuns[which] ?? []) / 1e6;
      rows.push([
        item.label,
        check,
        format(directRate),
        format(cachedRate),
        (cachedRate / directRate).toFixed(2),
        String(after.hits - earlier.hits),
      ]);
    }
  }
  printTable(
    `withCache hits (tier: LocalStore on a temporary directory) vs LocalStore direct, median of ${ROUNDS} rounds, MB/s`,
    ['object', 'slice check', 'LocalStore direct', 'withCache hit', 'ratio', 'slice hits'],
    rows,
  );
} finally {
  await rm(workspace, { recursive: true, force: true });
}
