import { expect, it } from 'vitest';
import { digestBody } from '../body-digest.ts';
import { isMissing } from '../capabilities.ts';
import { pseudoRandomChunks, pseudoRandomStream } from '../pseudo-random.ts';
import type { SuiteContext } from '../suite-context.ts';

const WRITERS = 8;
const BODY_BYTES = 256 * 1024;

/** Concurrent writers and readers of one key: every read sees one whole version, never a mix. */
export function concurrencyCases({ store, sha256, slowTimeout, capabilities }: SuiteContext): void {
  const torn = capabilities.atomicOverwrite;
  const racingReaders = isMissing(torn) ? 0 : WRITERS;
  const tornNote = isMissing(torn)
    ? ` (no racing readers, and the racing bodies may interleave: ${torn.missing})`
    : ', and readers never see a torn object';
  it(
    `ends with exactly one of the bodies after concurrent puts of one key${tornNote}`,
    { timeout: slowTimeout },
    async () => {
      const seeds = Array.from({ length: WRITERS + 1 }, (_unused, index) => 70 + index);
      const digests = await Promise.all(seeds.map((seed) => digestBody(pseudoRandomChunks(seed, BODY_BYTES), sha256)));
      const allowed = new Set(digests.map((digest) => digest.sha256));
      const [initialSeed, ...writerSeeds] = seeds;
      await store().put('race/object', pseudoRandomStream(initialSeed ?? 0, BODY_BYTES));

      const read = async (): Promise<string> => {
        const result = await store().get('race/object');
        const digest = await digestBody(result.body, sha256);
        expect(digest.size).toBe(BODY_BYTES);
        return digest.sha256;
      };
      // Small chunks make each put take many steps, so the writers and readers interleave.
      const writes = writerSeeds.map((seed) => store().put('race/object', pseudoRandomStream(seed, BODY_BYTES, 4096)));
      const reads = Array.from({ length: racingReaders }, read);
      const [infos, seen] = await Promise.all([Promise.all(writes), Promise.all(reads)]);
      expect(infos.map((info) => info.size)).toEqual(writerSeeds.map(() => BODY_BYTES));

      if (isMissing(torn)) {
        // A store that rewrites an object in place may mix racing writers' bytes: it must still take the next put whole.
        await store().put('race/object', pseudoRandomStream(initialSeed ?? 0, BODY_BYTES));
        expect(await read()).toBe(digests[0]?.sha256);
        const reported = (await store().head('race/object'))?.sha256;
        if (reported !== undefined) expect(reported).toBe(digests[0]?.sha256);
        return;
      }
      for (const digest of seen) expect(allowed.has(digest)).toBe(true);
      const final = await read();
      const writerDigests = new Set(digests.slice(1).map((digest) => digest.sha256));
      expect(writerDigests.has(final)).toBe(true);
      const head = await store().head('race/object');
      expect(head?.size).toBe(BODY_BYTES);
      // One writer's bytes with that writer's metadata, never another's.
      if (head?.sha256 !== undefined) expect(head.sha256).toBe(final);
    },
  );

  if (isMissing(torn)) {
    it(`serves one whole version before and after an overwrite (a get held open across it is not checked: ${torn.missing})`, async () => {
      const oldDigest = await digestBody(pseudoRandomChunks(90, BODY_BYTES), sha256);
      const newDigest = await digestBody(pseudoRandomChunks(91, BODY_BYTES), sha256);
      await store().put('race/reader', pseudoRandomStream(90, BODY_BYTES));
      expect(await digestBody((await store().get('race/reader')).body, sha256)).toEqual(oldDigest);
      await store().put('race/reader', pseudoRandomStream(91, BODY_BYTES));
      expect(await digestBody((await store().get('race/reader')).body, sha256)).toEqual(newDigest);
    });
    return;
  }
  it('serves a get opened before an overwrite with one whole version', async () => {
    const oldDigest = await digestBody(pseudoRandomChunks(90, BODY_BYTES), sha256);
    const newDigest = await digestBody(pseudoRandomChunks(91, BODY_BYTES), sha256);
    await store().put('race/reader', pseudoRandomStream(90, BODY_BYTES));
    const opened = await store().get('race/reader');
    await store().put('race/reader', pseudoRandomStream(91, BODY_BYTES));
    const seen = await digestBody(opened.body, sha256);
    expect([oldDigest.sha256, newDigest.sha256]).toContain(seen.sha256);
    expect(seen.size).toBe(BODY_BYTES);
  });
}
