import { defineProject } from 'vitest/config';

export default defineProject({
  // Tests run in Vite's server-side environment, which takes its own conditions: both read workspace sources.
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'], externalConditions: ['source'] } },
  test: { name: 'stowage', include: ['src/**/*.test.ts'], testTimeout: 30_000, hookTimeout: 30_000 },
});
