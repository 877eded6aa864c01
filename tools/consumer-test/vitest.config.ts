import { defineProject } from 'vitest/config';
import { workspaceSources } from '../../vitest.shared.ts';

export default defineProject({
  ...workspaceSources,
  test: { name: 'consumer-test', include: ['src/**/*.test.ts'] },
});
