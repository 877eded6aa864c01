import { parseStorageSettings } from '@stowage/core';
import type { Environment, StorageSettings } from '@stowage/core';
import type { CliContext } from './cli-context.ts';
import type { ParsedOptions } from './parse-command-line.ts';
import { stringOption } from './parse-command-line.ts';
import { readEnvFile } from './store-spec.ts';

/** The settings environment: the file `--env-file` names, else the process environment. */
export function settingsEnvironment(options: ParsedOptions, context: CliContext): Environment {
  const file = stringOption(options, 'env-file');
  return file === undefined ? context.env : readEnvFile(file);
}

/** The deployment's settings, as the chat server reads them. Throws `InvalidSettings` naming the bad variable. */
export function deploymentSettings(options: ParsedOptions, context: CliContext): StorageSettings {
  return parseStorageSettings(settingsEnvironment(options, context));
}
