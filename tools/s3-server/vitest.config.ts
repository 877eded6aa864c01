import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['source'] },
  test: { name: 's3-server', include: ['src/**/*.test.ts'] },
});
