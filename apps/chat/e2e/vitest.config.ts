import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';
import { workspaceSources } from '../../../vitest.shared.ts';

// Browser tests and the web UI's unit tests: a project of their own, so `--project chat` stays fast.
export default defineProject({
  ...workspaceSources,
  test: {
    name: 'chat-web',
    root: fileURLToPath(new URL('..', import.meta.url)),
    include: ['e2e/**/*.test.ts', 'web/src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
