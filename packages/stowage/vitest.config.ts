import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['source'] },
  test: { name: 'stowage', include: ['src/**/*.test.ts'] },
});
