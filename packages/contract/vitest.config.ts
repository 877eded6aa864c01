import { defineProject } from 'vitest/config';
import { workspaceSources } from '../../vitest.shared.ts';

export default defineProject({
  ...workspaceSources,
  test: { name: 'contract', include: ['src/**/*.test.ts'] },
});
