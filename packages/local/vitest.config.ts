import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['source'] },
  test: { name: 'local', include: ['src/**/*.test.ts'] },
});
