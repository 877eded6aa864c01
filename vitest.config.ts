import { defineConfig } from 'vitest/config';

// One run covers every package, app and tool; each project keeps its own config beside its code.
export default defineConfig({
  test: {
    projects: [
      'packages/*/vitest.config.ts',
      'packages/*/vitest.ceph.config.ts',
      'apps/*/vitest.config.ts',
      'apps/*/vitest.ceph.config.ts',
      'apps/*/e2e/vitest.config.ts',
      'tools/*/vitest.config.ts',
    ],
    passWithNoTests: false,
  },
});
