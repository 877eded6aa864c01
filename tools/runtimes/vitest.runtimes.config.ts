import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { workspaceSources } from '../../vitest.shared.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

// The suites that prove the packages on another runtime (run.mjs starts vitest with that runtime's binary): the
// contract on every adapter and the stowage command end to end, on a real directory and on Ceph's gateway.
export default defineConfig({
  test: {
    projects: [
      {
        ...workspaceSources,
        root,
        test: {
          name: 'runtime',
          include: [
            'tools/runtimes/src/runtime.test.ts',
            'packages/contract/src/memory-store.contract.test.ts',
            'packages/local/src/local-store.contract.test.ts',
            'packages/local/src/root-guard.test.ts',
            'packages/stowage/src/cached-store.contract.test.ts',
            'packages/stowage/src/cli/cli.test.ts',
            'packages/stowage/src/cli/stowage-cli.local.test.ts',
          ],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        ...workspaceSources,
        root,
        environments: {
          __vitest__: { resolve: { conditions: ['@stowage/source'], externalConditions: ['@stowage/source'] } },
        },
        test: {
          name: 'runtime-ceph',
          include: ['packages/s3/src/s3.ceph.test.ts', 'packages/stowage/src/cli/stowage-cli.ceph.test.ts'],
          globalSetup: ['tools/ceph-server/src/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
