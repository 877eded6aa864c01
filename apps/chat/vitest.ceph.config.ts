import { defineProject } from 'vitest/config';
import { workspaceSources } from '../../vitest.shared.ts';

// The app over S3 on Ceph's RADOS Gateway (a real S3 that checks signatures), started once for these files.
export default defineProject({
  ...workspaceSources,
  // The global setup runs in vitest's own environment, which takes neither of the shared settings' conditions.
  environments: {
    __vitest__: { resolve: { conditions: ['@stowage/source'], externalConditions: ['@stowage/source'] } },
  },
  test: {
    name: 'chat-ceph',
    include: ['src/**/*.ceph.test.ts'],
    globalSetup: ['../../tools/ceph-server/src/global-setup.ts'],
    testTimeout: 600_000,
    hookTimeout: 300_000,
  },
});
