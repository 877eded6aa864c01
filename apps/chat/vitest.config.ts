import { defineProject } from 'vitest/config';
import { workspaceSources } from '../../vitest.shared.ts';

export default defineProject({
  ...workspaceSources,
  test: { name: 'chat', include: ['src/**/*.test.ts'], exclude: ['src/**/*.ceph.test.ts'] },
});
