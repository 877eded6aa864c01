import { parseStorageSettings } from '@stowage/core';
import type { Environment, StorageSettings } from '@stowage/core';
import type { CliContext } from './cli-context.ts';
import type { OptionSpec, ParsedOptions } from './parse-command-line.ts';
import { stringOption } from './parse-command-line.ts';
import { readEnvFile } from '../env-file.ts';
import { UsageError } from './usage-error.ts';

/**
 * The options naming a settings file. `--settings` is the one to use: Node itself reads `--env-file` even after a
 * script's name and exit with their own code 9 when the file is missing, before the command can say anything.
 * `--env-file` still works for a file that exists.
 */
export const SETTINGS_OPTIONS: OptionSpec = { settings: { type: 'string' }, 'env-file': { type: 'string' } };

/** The settings file named on the command line, if any. */
export function settingsFile(options: ParsedOptions): string | undefined {
  const settings = stringOption(options, 'settings');
  const envFile = stringOption(options, 'env-file');
  if (settings !== undefined && envFile !== undefined)
    throw new UsageError('--settings and --env-file name the same thing: give one');
  return settings ?? envFile;
}

/** The settings environment: the file `--settings` names, else the process environment. */
export function settingsEnvironment(options: ParsedOptions, context: CliContext): Environment {
  const file = settingsFile(options);
  return file === undefined ? context.env : readEnvFile(file);
}

/** The deployment's settings, as the chat server reads them. Throws `InvalidSettings` naming the bad variable. */
export function deploymentSettings(options: ParsedOptions, context: CliContext): StorageSettings {
  return parseStorageSettings(settingsEnvironment(options, context));
}
