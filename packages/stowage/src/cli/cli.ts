import { isStorageError } from '@stowage/core';
import type { CliContext } from './cli-context.ts';
import { CHECK_USAGE, runCheck } from './commands/check.ts';
import { LS_USAGE, runLs } from './commands/ls.ts';
import { MIGRATE_USAGE, runMigrate } from './commands/migrate.ts';
import { POLICY_USAGE, runPolicy } from './commands/policy.ts';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE } from './exit-codes.ts';
import { UsageError } from './usage-error.ts';
import { stowageVersion } from './version.ts';

export const USAGE: string = `usage: stowage <command> [options]

Commands:
  migrate   copy (resumably, verified) between local storage and S3, or any two stores
  check     verify the configured storage works: credentials, buckets, read/write, public/private access
  ls        list objects
  policy    print the S3 bucket policies for the uploads and avatars buckets

Settings come from the environment as the chat server reads them (LOCAL_UPLOADS_DIR, or S3_AUTH_UPLOADS_BUCKET,
S3_AVATAR_BUCKET, S3_ENDPOINT_URL, S3_REGION, S3_KEY, S3_SECRET_KEY, ...), or from --settings FILE (KEY=value
lines; --env-file FILE is the same, but Node itself stops with exit code 9 when a file named after --env-file is
missing). Run \`stowage <command> --help\` for a command's options, \`stowage --version\` for the version.

Exit codes: 0 success; 1 a check failed, an object failed or differs; 2 a bad command line or settings (a missing
settings file, a source directory that does not exist or holds no files): nothing was done; 130 interrupted.`;

interface Command {
  readonly usage: string;
  run(args: readonly string[], context: CliContext): number | Promise<number>;
}

const COMMANDS: Readonly<Record<string, Command>> = {
  migrate: { usage: MIGRATE_USAGE, run: runMigrate },
  check: { usage: CHECK_USAGE, run: runCheck },
  ls: { usage: LS_USAGE, run: runLs },
  policy: { usage: POLICY_USAGE, run: runPolicy },
};

/**
 * Runs one `stowage` command line and resolves with its exit code; never rejects. Usage mistakes and bad settings
 * print the reason (and the usage) to stderr with code 2; a failed operation prints its reason with code 1.
 */
export async function runCli(argv: readonly string[], context: CliContext): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? context.stderr : context.stdout).write(`${USAGE}\n`);
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    context.stdout.write(`stowage ${stowageVersion()}\n`);
    return EXIT_OK;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    context.stderr.write(`stowage: unknown command ${JSON.stringify(name)}\n\n${USAGE}\n`);
    return EXIT_USAGE;
  }
  if (args.includes('--help') || args.includes('-h')) {
    context.stdout.write(`${command.usage}\n`);
    return EXIT_OK;
  }
  try {
    return await command.run(args, context);
  } catch (error) {
    if (error instanceof UsageError) {
      context.stderr.write(`stowage ${name}: ${error.message}\n\n${command.usage}\n`);
      return EXIT_USAGE;
    }
    if (
      isStorageError(error, 'InvalidSettings') ||
      isStorageError(error, 'InvalidKey') ||
      isStorageError(error, 'InvalidArgument')
    ) {
      context.stderr.write(`stowage ${name}: ${error.message}\n`);
      return EXIT_USAGE;
    }
    const reason = isStorageError(error)
      ? `${error.code}: ${error.message}`
      : error instanceof Error
        ? (error.stack ?? error.message)
        : String(error);
    context.stderr.write(`stowage ${name}: ${reason}\n`);
    return EXIT_FAILED;
  }
}
