import type { ObjectStore, Sha256Factory } from '@stowage/core';
import type { ContractCapabilities } from './capabilities.ts';

/** What each group of cases gets from `describeObjectStore`. */
export interface SuiteContext {
  /** The fresh, empty store of the test that is running. */
  readonly store: () => ObjectStore;
  readonly capabilities: ContractCapabilities;
  /** The hash the suite computes expected digests with. */
  readonly sha256: Sha256Factory;
  /** Timeout of the heavy cases, in milliseconds. */
  readonly slowTimeout: number;
}
