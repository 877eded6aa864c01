import { readFileSync } from 'node:fs';
import { StorageError } from '@stowage/core';
import type { Environment } from '@stowage/core';

/**
 * Parses settings in the `KEY=value` form of `.env` files and systemd's `EnvironmentFile`: blank lines and `#`
 * comments are skipped, `export ` is allowed, a value may be wrapped in single or double quotes. Throws
 * `InvalidSettings` naming the line that is not an assignment.
 */
export function parseEnvFile(text: string, fileName: string): Environment {
  const env: Record<string, string> = {};
  const lines = text.split(/\r?\n/u);
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/u.exec(line);
    if (match === null) {
      throw new StorageError(
        'InvalidSettings',
        `${fileName} line ${index + 1} is not a KEY=value setting: ${JSON.stringify(raw.slice(0, 80))}`,
      );
    }
    const [, name = '', rawValue = ''] = match;
    const quoted = /^(["'])(.*)\1$/u.exec(rawValue);
    env[name] = quoted === null ? rawValue.replace(/\s+#.*$/u, '') : (quoted[2] ?? '');
  });
  return env;
}

/** Reads a settings file; throws `InvalidSettings` when it cannot be read or parsed. */
export function readEnvFile(path: string): Environment {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new StorageError(
      'InvalidSettings',
      `cannot read the settings file ${path}: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
  return parseEnvFile(text, path);
}
