import { defineProject } from 'vitest/config';
import { workspaceSources } from '../../vitest.shared.ts';

export default defineProject({
  ...workspaceSources,
  test: {
    name: 'stowage',
    include: ['src/**/*.test.ts'],
    exclude: ['src/**/*.ceph.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
