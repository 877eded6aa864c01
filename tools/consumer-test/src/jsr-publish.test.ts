import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const WORKSPACE = fileURLToPath(new URL('../../..', import.meta.url));
// The npm package `deno` (a root devDependency) ships the binary.
const DENO = join(WORKSPACE, 'node_modules', '.bin', 'deno');

const PACKAGES = {
  core: '@stowage/core',
  local: '@stowage/local',
  s3: '@stowage/s3',
  contract: '@stowage/contract',
  migrate: '@stowage/migrate',
  stowage: '@stowage/stowage',
};

describe('JSR: deno publish --dry-run', () => {
  for (const [directory, name] of Object.entries(PACKAGES)) {
    it(`${name} is publishable, without its tests`, async () => {
      // --allow-dirty: the check runs on a work tree with changes too; publishing itself would need a clean one.
      const { stdout, stderr } = await run(DENO, ['publish', '--dry-run', '--allow-dirty'], {
        cwd: join(WORKSPACE, 'packages', directory),
        env: { ...process.env, NO_COLOR: '1' },
      });
      const output = `${stdout}${stderr}`;
      const { version } = JSON.parse(
        await readFile(join(WORKSPACE, 'packages', directory, 'package.json'), 'utf8'),
      ) as { version: string };
      expect(output).toContain(`Simulating publish of ${name}@${version} with files:`);
      expect(output).toContain('Success Dry run complete');
      const files = output.split('\n').filter((line) => line.trim().startsWith('file://'));
      expect(files.some((line) => line.includes(`/packages/${directory}/src/index.ts`))).toBe(true);
      expect(files.some((line) => line.includes('/LICENSE'))).toBe(true);
      expect(files.filter((line) => /\.test\.ts|\/test\//u.test(line))).toEqual([]);
    }, 180_000);
  }
});
