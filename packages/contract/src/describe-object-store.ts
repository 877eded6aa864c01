import { portableSha256 } from '@stowage/core';
import type { ObjectStore } from '@stowage/core';
import { afterEach, beforeEach, describe } from 'vitest';
import type { ContractCapabilities } from './capabilities.ts';
import { abortCases } from './cases/abort.ts';
import { concurrencyCases } from './cases/concurrency.ts';
import { copyCases } from './cases/copy.ts';
import { deleteManyCases } from './cases/delete-many.ts';
import { integrityCases } from './cases/integrity.ts';
import { keyCases } from './cases/keys.ts';
import { lifecycleCases } from './cases/lifecycle.ts';
import { listingCases } from './cases/listing.ts';
import { metadataCases } from './cases/metadata.ts';
import { rangeCases } from './cases/ranges.ts';
import { roundTripCases } from './cases/round-trip.ts';
import { urlCases } from './cases/urls.ts';
import type { SuiteContext } from './suite-context.ts';

/** A store under test with the clean-up it needs (removing a temporary directory, emptying a bucket). */
export interface StoreFixture {
  readonly store: ObjectStore;
  /** Called after the test, pass or fail. */
  readonly cleanup?: (() => void | Promise<void>) | undefined;
}

/** Makes a fresh, empty store for one test: the store itself, or a fixture with its clean-up. */
export type MakeStore = () => Promise<ObjectStore | StoreFixture>;

const DEFAULT_SLOW_TIMEOUT_MS = 180_000;

function isFixture(made: ObjectStore | StoreFixture): made is StoreFixture {
  return !('put' in made);
}

/**
 * Defines the contract suite for one backing as a vitest `describe` block named `name`. Every test gets a fresh
 * store from `makeStore` and cleans it up afterwards. `capabilities` declares, with reasons, what the backing
 * cannot do; each declared gap becomes a test of the documented fallback instead of a skip.
 */
export function describeObjectStore(name: string, makeStore: MakeStore, capabilities: ContractCapabilities = {}): void {
  describe(`ObjectStore contract: ${name}`, () => {
    let current: StoreFixture | undefined;

    beforeEach(async () => {
      const made = await makeStore();
      current = isFixture(made) ? made : { store: made };
    });

    afterEach(async () => {
      const finished = current;
      current = undefined;
      await finished?.cleanup?.();
    });

    const context: SuiteContext = {
      store: () => {
        if (current === undefined) throw new Error('the contract store is only available inside a test');
        return current.store;
      },
      capabilities,
      sha256: capabilities.sha256 ?? portableSha256,
      slowTimeout: capabilities.slowTestTimeoutMs ?? DEFAULT_SLOW_TIMEOUT_MS,
    };

    describe('round trips', () => {
      roundTripCases(context);
    });
    describe('keys', () => {
      keyCases(context);
    });
    describe('ranges', () => {
      rangeCases(context);
    });
    describe('missing objects, deletes, overwrites, create-only puts', () => {
      lifecycleCases(context);
    });
    describe('listing', () => {
      listingCases(context);
    });
    describe('metadata and content type', () => {
      metadataCases(context);
    });
    describe('copy', () => {
      copyCases(context);
    });
    describe('deleteMany', () => {
      deleteManyCases(context);
    });
    describe('integrity and size limits', () => {
      integrityCases(context);
    });
    describe('aborts and failing bodies', () => {
      abortCases(context);
    });
    describe('concurrency', () => {
      concurrencyCases(context);
    });
    describe('signed and public URLs', () => {
      urlCases(context);
    });
  });
}
