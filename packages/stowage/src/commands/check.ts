import type { CliContext } from '../cli-context.ts';
import { checkDeployment } from '../deployment-checks.ts';
import { EXIT_FAILED, EXIT_OK } from '../exit-codes.ts';
import { openStores } from '../open-stores.ts';
import { parseCommandLine } from '../parse-command-line.ts';
import { deploymentSettings } from '../settings-source.ts';

export const CHECK_USAGE: string = `usage: stowage check [--env-file FILE]

Checks the storage the settings describe, one line per check: for S3, per bucket, that credentials are found, the
bucket exists, a probe object can be put, read back and deleted, the avatars bucket is readable anonymously through
its public URL and the uploads bucket is not; for local storage, that LOCAL_UPLOADS_DIR and its files/ and avatars/
directories exist and are writable, with temporary files on the same file system. Exits 1 if any check fails.`;

const LABELS = { ok: 'ok  ', fail: 'FAIL', skip: 'skip' } as const;

/** `stowage check`: verifies the configured stores work as the chat server needs. */
export async function runCheck(args: readonly string[], context: CliContext): Promise<number> {
  const { options } = parseCommandLine(args, { 'env-file': { type: 'string' } });
  const settings = deploymentSettings(options, context);
  const stores = openStores(settings, { s3Client: { connectionTimeoutMs: 3_000, socketTimeoutMs: 10_000 } });
  let failures = 0;
  try {
    for await (const result of checkDeployment(settings, stores)) {
      if (result.status === 'fail') failures++;
      context.stdout.write(`${LABELS[result.status]}  ${result.namespace.padEnd(8)} ${result.check}: ${result.detail}\n`);
    }
  } finally {
    stores.close();
  }
  context.stdout.write(failures === 0 ? 'all checks passed\n' : `${failures} check${failures === 1 ? '' : 's'} failed\n`);
  return failures === 0 ? EXIT_OK : EXIT_FAILED;
}
