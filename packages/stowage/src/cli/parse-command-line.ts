import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { UsageError } from './usage-error.ts';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** Parsed options: strings for options that take a value, booleans for flags. */
export type ParsedOptions = Record<string, string | boolean | undefined>;

/**
 * Parses a command's arguments strictly: an unknown option, a missing value or a stray positional argument is a
 * `UsageError` naming it, never silently ignored.
 */
export function parseCommandLine(
  args: readonly string[],
  options: OptionSpec,
  positionals = 0,
): { options: ParsedOptions; positionals: string[] } {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options, strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError(
      error instanceof Error ? error.message.replace(/\. To specify a positional argument.*$/su, '') : String(error),
    );
  }
  if (parsed.positionals.length > positionals) {
    throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[positionals])}`);
  }
  const values: ParsedOptions = {};
  for (const [name, value] of Object.entries(parsed.values)) {
    if (typeof value === 'string' || typeof value === 'boolean') values[name] = value;
  }
  return { options: values, positionals: parsed.positionals };
}

/** A string option's value, or `undefined`; an empty value is a usage error. */
export function stringOption(options: ParsedOptions, name: string): string | undefined {
  const value = options[name];
  if (value === undefined || typeof value === 'boolean') return undefined;
  if (value.trim() === '') throw new UsageError(`--${name} needs a value`);
  return value;
}

export function requiredOption(options: ParsedOptions, name: string): string {
  const value = stringOption(options, name);
  if (value === undefined) throw new UsageError(`--${name} is required`);
  return value;
}

/** A whole number option within bounds. */
export function integerOption(
  options: ParsedOptions,
  name: string,
  minimum: number,
  maximum: number,
): number | undefined {
  const value = stringOption(options, name);
  if (value === undefined) return undefined;
  if (!/^\d+$/u.test(value) || Number(value) < minimum || Number(value) > maximum) {
    throw new UsageError(
      `--${name} must be a whole number from ${minimum} to ${maximum}, not ${JSON.stringify(value)}`,
    );
  }
  return Number(value);
}

/** A positive number option (fractions allowed), such as seconds. */
export function numberOption(options: ParsedOptions, name: string): number | undefined {
  const value = stringOption(options, name);
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isFinite(number) || number < 0)
    throw new UsageError(`--${name} must be a non-negative number, not ${JSON.stringify(value)}`);
  return number;
}

/** One of a fixed set of words. */
export function choiceOption<T extends string>(
  options: ParsedOptions,
  name: string,
  choices: readonly T[],
): T | undefined {
  const value = stringOption(options, name);
  if (value === undefined) return undefined;
  const match = choices.find((choice) => choice === value);
  if (match === undefined)
    throw new UsageError(`--${name} must be one of ${choices.join(', ')}, not ${JSON.stringify(value)}`);
  return match;
}
