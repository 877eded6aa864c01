import type { ByteRange } from '@stowage/core';
import { collectBytes } from '@stowage/core';
import { expect, it } from 'vitest';
import { expectSameBytes } from '../byte-assertions.ts';
import { isMissing } from '../capabilities.ts';
import { pseudoRandomBytes } from '../pseudo-random.ts';
import { expectStorageError } from '../storage-error-assertions.ts';
import type { SuiteContext } from '../suite-context.ts';

const SIZE = 1000;
const KEY = 'ranges/object.bin';

/** Byte ranges by HTTP's rules: inclusive ends, clamping, suffixes, and `InvalidRange` for the unsatisfiable. */
export function rangeCases({ store, capabilities }: SuiteContext): void {
  const bytes = pseudoRandomBytes(20, SIZE);

  async function expectRange(range: ByteRange, start: number, end: number): Promise<void> {
    await store().put(KEY, bytes);
    const result = await store().get(KEY, { range });
    expect(result.size).toBe(SIZE);
    expect(result.range).toEqual({ start, end });
    expectSameBytes(await collectBytes(result.body), bytes.slice(start, end + 1));
  }

  it('reads from a start offset to the end', async () => {
    await expectRange({ start: 100 }, 100, SIZE - 1);
  });

  it('reads a middle range with both ends inclusive', async () => {
    await expectRange({ start: 10, end: 19 }, 10, 19);
  });

  const edges = capabilities.rangeEdges;
  const edgeNote = isMissing(edges) ? ` (edge unchecked: ${edges.missing})` : '';

  it(`reads single bytes at the first and last positions${edgeNote}`, async () => {
    if (!isMissing(edges)) await expectRange({ start: 0, end: 0 }, 0, 0);
    await expectRange({ start: 1, end: 1 }, 1, 1);
    await expectRange({ start: SIZE - 1 }, SIZE - 1, SIZE - 1);
  });

  it('clamps an end past the last byte', async () => {
    await expectRange({ start: 990, end: 5000 }, 990, SIZE - 1);
  });

  it(`rejects a start at or past the end with InvalidRange, and any range on an empty object${edgeNote}`, async () => {
    await store().put(KEY, bytes);
    await expectStorageError(store().get(KEY, { range: { start: SIZE } }), 'InvalidRange');
    await expectStorageError(store().get(KEY, { range: { start: SIZE + 5000, end: SIZE + 6000 } }), 'InvalidRange');
    if (isMissing(edges)) return;
    await store().put('ranges/empty', '');
    await expectStorageError(store().get('ranges/empty', { range: { start: 0 } }), 'InvalidRange');
  });

  it('rejects malformed ranges with InvalidRange', async () => {
    await store().put(KEY, bytes);
    for (const range of [
      { start: -1 },
      { start: 5, end: 2 },
      { start: 1.5 },
      { start: Number.NaN },
      { suffix: 0 },
      { suffix: -3 },
    ]) {
      await expectStorageError(store().get(KEY, { range }), 'InvalidRange');
    }
  });

  it('reports NotFound for a ranged read of a missing object', async () => {
    await expectStorageError(store().get('ranges/missing', { range: { start: 0, end: 1 } }), 'NotFound');
  });

  if (isMissing(capabilities.suffixRanges)) {
    it(`rejects suffix ranges with Unsupported (missing: ${capabilities.suffixRanges.missing})`, async () => {
      await store().put(KEY, bytes);
      await expectStorageError(store().get(KEY, { range: { suffix: 10 } }), 'Unsupported');
    });
  } else {
    it('reads the last bytes with a suffix range', async () => {
      await expectRange({ suffix: 10 }, SIZE - 10, SIZE - 1);
    });

    it('reads the whole object for a suffix longer than it', async () => {
      await expectRange({ suffix: 5000 }, 0, SIZE - 1);
    });
  }
}
