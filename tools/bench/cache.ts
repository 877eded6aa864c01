// `npm run bench -- cache [--quick] [--no-deno]`: reads through withCache() when every slice is a hit (the tier is a LocalStore
// on a temporary directory), beside reading the same objects straight from a LocalStore on the same disk, in one
// run. By default (`verify: 'on-change'`) the cache hashes a slice only when this process has not yet seen that
// version of the tier object match; `verify: 'every-hit'` hashes every slice served (with Web Crypto, or an
// injected native hash). Each is measured on its own, beside the direct reads, so that one's garbage is not
// collected during another's reads. Then the same run on Deno (`npx deno`), printed after Node's.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { withCache } from '@stowage/core';
import type { CacheOptions, CachedStore, ObjectStore } from '@stowage/core';
import { nodeSha256 } from '@stowage/core/node';
import { LocalStore } from '@stowage/local';
import { printTable, runOnDeno } from './_table.ts';

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

const versions: Record<string, string | undefined> = process.versions;
const runtime = versions['deno'] === undefined ? `Node ${process.version}` : `Deno ${versions['deno']}`;
const workspace = await mkdtemp(join(tmpdir(), 'stowage-bench-cache-'));
const collectGarbage = (globalThis as { gc?: () => void }).gc ?? ((): void => undefined);
try {
  const direct = await LocalStore.open({ root: join(workspace, 'direct') });
  const modes: readonly { readonly check: string; readonly options: Omit<CacheOptions, 'tier'> }[] = [
    { check: 'on-change (default)', options: {} },
    { check: 'every hit, nodeSha256', options: { verify: 'every-hit', sha256: nodeSha256 } },
    { check: 'every hit, Web Crypto', options: { verify: 'every-hit' } },
  ];
  const rows: string[][] = [];
  for (const item of CASES) {
    const keys = Array.from(
      { length: item.objects },
      (_, index) => `bench/${item.label.replace(' ', '')}/object-${index}.bin`,
    );
    for (const [index, key] of keys.entries()) await direct.put(key, patterned(item.bytes, index));
    for (const [modeNumber, { check, options }] of modes.entries()) {
      const store: CachedStore = withCache(direct, {
        ...options,
        tier: await LocalStore.open({
          root: join(workspace, `tier-${item.label.replace(' ', '')}-${modeNumber.toString()}`),
        }),
      });
      // Warm the cache, so the timed reads below are hits only (checked through the counters after).
      for (const key of keys) await readOnce(store, key, item.bytes);
      await store.drain();
      collectGarbage();
      const before = store.stats();
      const readers: readonly ObjectStore[] = [direct, store];
      // Seconds per reader per round. Every object is read by both readers in turn, who goes first alternating, so
      // a burst of load from elsewhere on the machine lands on both alike.
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
      const after = store.stats();
      if (after.misses !== before.misses || after.originFetches !== before.originFetches)
        throw new Error(`${check}: the timed reads were not all hits`);
      const total = item.bytes * item.objects * item.passes;
      const directRate = total / median(seconds[0] ?? []) / 1e6;
      const cachedRate = total / median(seconds[1] ?? []) / 1e6;
      // The ratio of each round's two sides, then the median: both met the same moment of the machine.
      const ratio = median(
        (seconds[0] ?? []).map((directSeconds, round) => directSeconds / (seconds[1]?.[round] ?? Number.NaN)),
      );
      rows.push([
        item.label,
        check,
        format(directRate),
        format(cachedRate),
        ratio.toFixed(2),
        String(after.hits - before.hits),
      ]);
      collectGarbage();
    }
  }
  printTable(
    `${runtime}: withCache hits (tier: LocalStore on a temporary directory) vs LocalStore direct, median of ${ROUNDS} rounds, MB/s (target: ratio >= 0.90)`,
    ['object', 'slice check', 'LocalStore direct', 'withCache hit', 'ratio', 'slice hits'],
    rows,
  );
} finally {
  await rm(workspace, { recursive: true, force: true });
}

if (versions['deno'] === undefined && !process.argv.includes('--no-deno')) runOnDeno(fileURLToPath(import.meta.url));
