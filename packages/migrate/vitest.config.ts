import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['source'] },
  test: { name: 'migrate', include: ['src/**/*.test.ts'] },
});
