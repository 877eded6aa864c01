import { defineProject } from 'vitest/config';
import { workspaceSources } from '../../vitest.shared.ts';

export default defineProject({
  ...workspaceSources,
  // The global setup runs in vitest's own environment, which takes neither of the shared settings' conditions.
  environments: {
    __vitest__: { resolve: { conditions: ['@stowage/source'], externalConditions: ['@stowage/source'] } },
  },
  test: {
    name: 'ceph-server',
    include: ['src/**/*.test.ts'],
    // One gateway for every test file of this project; the launcher's own tests start a second beside it.
    globalSetup: ['./src/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 240_000,
  },
});
