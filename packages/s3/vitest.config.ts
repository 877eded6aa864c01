import { defineProject } from 'vitest/config';

export default defineProject({
  // Tests run in Vite's SSR environment, which takes its conditions from `ssr.resolve`: without it the other
  // workspace packages would be read from their (possibly stale) dist instead of their sources.
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: { name: 's3', include: ['src/**/*.test.ts'] },
});
