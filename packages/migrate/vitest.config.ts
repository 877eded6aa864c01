import { defineProject } from 'vitest/config';

export default defineProject({
  // Tests run in Vite's server-side environment, which takes its own conditions: both read workspace sources.
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'], externalConditions: ['source'] } },
  test: { name: 'migrate', include: ['src/**/*.test.ts'] },
});
