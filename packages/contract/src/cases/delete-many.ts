import { expect, it } from 'vitest';
import { expectStorageError } from '../storage-error-assertions.ts';
import { listKeys, numberedKeys, putMany } from '../store-helpers.ts';
import type { SuiteContext } from '../suite-context.ts';

/** Batch deletes: large batches, missing keys, any iterable, and validation before deleting anything. */
export function deleteManyCases({ store, slowTimeout }: SuiteContext): void {
  it(
    'deletes only the listed keys, in batches larger than S3 allows in one request',
    { timeout: slowTimeout },
    async () => {
      const doomed = numberedKeys('doomed/', 1_100);
      const kept = numberedKeys('kept/', 20);
      await putMany(store(), [...doomed, ...kept]);
      await store().deleteMany(doomed);
      expect(await listKeys(store())).toEqual(kept);
    },
  );

  it('treats missing keys as already deleted, and takes any iterable, even an empty one', async () => {
    await putMany(store(), ['batch/1', 'batch/2', 'batch/3']);
    function* keys(): Generator<string> {
      yield 'batch/1';
      yield 'batch/never-existed';
      yield 'batch/3';
      yield 'batch/1';
    }
    await store().deleteMany(keys());
    await store().deleteMany([]);
    await store().deleteMany(new Set(['other/missing']));
    expect(await listKeys(store())).toEqual(['batch/2']);
  });

  it('validates every key before deleting any: one invalid key rejects the batch and deletes nothing', async () => {
    const keys = numberedKeys('guarded/', 10);
    await putMany(store(), keys);
    const error = await expectStorageError(
      store().deleteMany([...keys.slice(0, 5), '../escape', ...keys.slice(5)]),
      'InvalidKey',
    );
    expect(error.key).toBe('../escape');
    expect(await listKeys(store())).toEqual(keys);
  });
}
