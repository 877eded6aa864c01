import { readFileSync } from 'node:fs';

/**
 * The version in this package's package.json. Found by walking up from this module, because the module runs from
 * `src/cli/` (tests), `dist/cli/` (the built modules) and `dist/bin/` (the bundled command).
 */
export function stowageVersion(): string {
  let directory = new URL('.', import.meta.url);
  for (let depth = 0; depth < 4; depth++) {
    try {
      const manifest = JSON.parse(readFileSync(new URL('package.json', directory), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (manifest.name === 'stowage' && typeof manifest.version === 'string') return manifest.version;
    } catch {
      // No package.json at this level: look one up.
    }
    directory = new URL('..', directory);
  }
  return 'unknown';
}
