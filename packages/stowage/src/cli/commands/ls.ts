import type { CliContext } from '../cli-context.ts';
import { EXIT_OK } from '../exit-codes.ts';
import { formatBytes } from '../format.ts';
import { NAMESPACES } from '../../open-stores.ts';
import type { Namespace } from '../../open-stores.ts';
import { choiceOption, parseCommandLine, stringOption } from '../parse-command-line.ts';
import { SETTINGS_OPTIONS, settingsEnvironment } from '../settings-source.ts';
import { UsageError } from '../usage-error.ts';
import { closeSpec, openSpec, parseStoreSpec, storeOf } from '../store-spec.ts';
import type { StoreSpec } from '../store-spec.ts';
import { parseStorageSettings } from '@stowage/core';

export const LS_USAGE: string = `usage: stowage ls [--namespace uploads|avatars] [--prefix PREFIX] [--long | --json] [--store SPEC] [--settings FILE]

Lists objects in key order, one per line as NAMESPACE/KEY (with --long: size in bytes, last modified, key).
Default: both namespaces of the configured storage; --store lists another (local:DIR, env:FILE, dir:DIR,
s3://BUCKET). Memory stays constant however many objects there are. The count and total size go to stderr.

  --json   one JSON object per line (JSON Lines), in key order:
           {"namespace": "uploads"|"avatars"|null, "key": "...", "size": 123, "lastModified": "2026-01-31T12:00:00.000Z",
           "etag": "\\"...\\""}   (namespace is null for a single store: dir: or s3://)`;

/** `stowage ls`: lists objects. */
export async function runLs(args: readonly string[], context: CliContext): Promise<number> {
  const { options } = parseCommandLine(args, {
    namespace: { type: 'string' },
    prefix: { type: 'string' },
    long: { type: 'boolean' },
    store: { type: 'string' },
    endpoint: { type: 'string' },
    json: { type: 'boolean' },
    ...SETTINGS_OPTIONS,
  });
  if (options.long === true && options.json === true) throw new UsageError('--long and --json exclude each other');
  const env = settingsEnvironment(options, context);
  const storeText = stringOption(options, 'store');
  const spec: StoreSpec =
    storeText === undefined
      ? { kind: 'deployment', text: 'settings', settings: parseStorageSettings(env) }
      : parseStoreSpec(storeText);
  const chosen = choiceOption(options, 'namespace', NAMESPACES);
  const namespaces: readonly Namespace[] =
    spec.kind === 'deployment' ? (chosen === undefined ? NAMESPACES : [chosen]) : ['uploads'];
  const opened = openSpec(spec, { env, endpoint: stringOption(options, 'endpoint') });
  const prefix = options.prefix === undefined || typeof options.prefix === 'boolean' ? undefined : options.prefix;
  let objects = 0;
  let bytes = 0;
  try {
    for (const namespace of namespaces) {
      const label = spec.kind === 'deployment' ? `${namespace}/` : '';
      for await (const summary of storeOf(opened, namespace).list({ prefix, signal: context.signal })) {
        objects++;
        bytes += summary.size;
        if (options.json === true) {
          const line = {
            namespace: spec.kind === 'deployment' ? namespace : null,
            key: summary.key,
            size: summary.size,
            lastModified: summary.lastModified.toISOString(),
            etag: summary.etag,
          };
          context.stdout.write(`${JSON.stringify(line)}\n`);
          continue;
        }
        context.stdout.write(
          options.long === true
            ? `${String(summary.size).padStart(12)}  ${summary.lastModified.toISOString()}  ${label}${summary.key}\n`
            : `${label}${summary.key}\n`,
        );
      }
    }
  } finally {
    closeSpec(opened);
  }
  context.stderr.write(`${objects} object${objects === 1 ? '' : 's'}, ${formatBytes(bytes)}\n`);
  return EXIT_OK;
}
