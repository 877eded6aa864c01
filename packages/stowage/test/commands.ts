import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package's own directory, where the commands run. */
export const PACKAGE_DIRECTORY: string = fileURLToPath(new URL('..', import.meta.url));

/** The `stowage` command from source: run it with `--conditions=@stowage/source --import tsx`. */
export const SOURCE_BIN: string = join(PACKAGE_DIRECTORY, 'src', 'cli', 'stowage.ts');

const manifest = JSON.parse(readFileSync(join(PACKAGE_DIRECTORY, 'package.json'), 'utf8')) as {
  bin: Record<string, string | undefined>;
};

/** The `stowage` command as the package ships it (its `bin`): a bundle the build makes. */
export const SHIPPED_BIN: string = join(PACKAGE_DIRECTORY, manifest.bin.stowage ?? 'no-bin-in-package-json');
