import { parseStorageSettings } from '@stowage/core';
import type { Environment, StorageSettings } from '@stowage/core';
import type { CliContext } from '../cli-context.ts';
import { checkDeployment } from '../../deployment-checks.ts';
import type { CheckResult } from '../../deployment-checks.ts';
import { EXIT_FAILED, EXIT_OK } from '../exit-codes.ts';
import { openStores } from '../../open-stores.ts';
import { parseCommandLine, stringOption } from '../parse-command-line.ts';
import { SETTINGS_OPTIONS, settingsEnvironment } from '../settings-source.ts';
import { defaultSourceSpec, defaultTargetSpec, parseStoreSpec } from '../store-spec.ts';
import type { StoreSpec } from '../store-spec.ts';
import { UsageError } from '../usage-error.ts';

export const CHECK_USAGE: string = `usage: stowage check [--settings FILE] [--from SPEC] [--to SPEC] [--json]

Checks the storage the settings describe, one line per check: for S3, per bucket, that credentials are found, the
bucket exists, a probe object can be put, read back and deleted, the avatars bucket is readable anonymously through
its public URL and the uploads bucket is not; for local storage, that LOCAL_UPLOADS_DIR and its files/ and avatars/
directories exist and are writable, with temporary files on the same file system. Exits 1 if any check fails.

Settings that name both LOCAL_UPLOADS_DIR and S3 buckets (what \`stowage migrate\` reads by default) are checked on
both sides: "from" the local directory, "to" the buckets. --from and --to name the sides as for migrate
(local:DIR or env:FILE; a side not named is taken from the settings as migrate takes it).

  --settings FILE   read settings from FILE (KEY=value lines) instead of the environment.
  --json            print one JSON document instead of lines:
                    {"ok": true, "failed": 0, "results": [{"side": "deployment"|"from"|"to", "store": "local:/srv/uploads",
                    "status": "ok"|"fail"|"skip", "namespace": "uploads"|"avatars"|"settings", "check": "write",
                    "detail": "..."}]}`;

const LABELS = { ok: 'ok  ', fail: 'FAIL', skip: 'skip' } as const;

type Side = 'deployment' | 'from' | 'to';

interface CheckedSide {
  readonly side: Side;
  readonly store: string;
  readonly settings: StorageSettings;
}

/** Both settings kinds present: the settings file of a migration from local storage to S3. */
function namesBothSides(env: Environment): boolean {
  const local = env.LOCAL_UPLOADS_DIR?.trim() ?? '';
  return local !== '' && (env.S3_AUTH_UPLOADS_BUCKET !== undefined || env.S3_AVATAR_BUCKET !== undefined);
}

function deploymentOf(spec: StoreSpec, option: string): StorageSettings {
  if (spec.kind !== 'deployment')
    throw new UsageError(`--${option} ${spec.text}: check takes a deployment, local:DIR or env:FILE`);
  return spec.settings;
}

function sidesToCheck(fromText: string | undefined, toText: string | undefined, env: Environment): CheckedSide[] {
  if (fromText === undefined && toText === undefined) {
    if (!namesBothSides(env)) {
      const settings = parseStorageSettings(env);
      const store =
        settings.backend === 'local'
          ? `local:${settings.localUploadsDir}`
          : `s3://${settings.s3.uploadsBucket} and s3://${settings.s3.avatarsBucket}`;
      return [{ side: 'deployment', store, settings }];
    }
  }
  const from = fromText === undefined ? defaultSourceSpec(env) : parseStoreSpec(fromText);
  const to = toText === undefined ? defaultTargetSpec(env) : parseStoreSpec(toText);
  return [
    { side: 'from', store: from.text, settings: deploymentOf(from, 'from') },
    { side: 'to', store: to.text, settings: deploymentOf(to, 'to') },
  ];
}

/** `stowage check`: verifies the configured stores work as the chat server (or a migration) needs. */
export async function runCheck(args: readonly string[], context: CliContext): Promise<number> {
  const { options } = parseCommandLine(args, {
    ...SETTINGS_OPTIONS,
    from: { type: 'string' },
    to: { type: 'string' },
    json: { type: 'boolean' },
  });
  const json = options.json === true;
  const env = settingsEnvironment(options, context);
  const sides = sidesToCheck(stringOption(options, 'from'), stringOption(options, 'to'), env);
  const results: (CheckResult & { side: Side; store: string })[] = [];
  let failures = 0;
  for (const { side, store, settings } of sides) {
    if (!json && side !== 'deployment') context.stdout.write(`${side} ${store}\n`);
    const stores = openStores(settings, { s3Client: { connectionTimeoutMs: 3_000, socketTimeoutMs: 10_000 } });
    try {
      for await (const result of checkDeployment(settings, stores)) {
        if (result.status === 'fail') failures++;
        results.push({ side, store, ...result });
        if (!json)
          context.stdout.write(
            `${LABELS[result.status]}  ${result.namespace.padEnd(8)} ${result.check}: ${result.detail}\n`,
          );
      }
    } finally {
      stores.close();
    }
  }
  if (json) context.stdout.write(`${JSON.stringify({ ok: failures === 0, failed: failures, results }, null, 2)}\n`);
  else
    context.stdout.write(
      failures === 0 ? 'all checks passed\n' : `${failures} check${failures === 1 ? '' : 's'} failed\n`,
    );
  return failures === 0 ? EXIT_OK : EXIT_FAILED;
}
