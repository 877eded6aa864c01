import { defineProject } from 'vitest/config';

export default defineProject({
  // Tests run in Vite's SSR environment, which takes its conditions from `ssr.resolve`.
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: { name: 's3-server', include: ['src/**/*.test.ts'] },
});
