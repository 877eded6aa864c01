import { writeFileSync } from 'node:fs';
import { isStorageError } from '@stowage/core';
import type { ObjectStore } from '@stowage/core';
import { nodeSha256 } from '@stowage/core/node';
import { DEFAULT_CONCURRENCY, migrate } from '@stowage/migrate';
import type { MigrationReport } from '@stowage/migrate';
import { LocalStore, blockingNodeFileSystem } from '@stowage/local';
import { S3Store } from '@stowage/s3';
import type { CliContext } from '../cli-context.ts';
import { EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK } from '../exit-codes.ts';
import { formatBytes, formatDuration } from '../format.ts';
import { defaultJournalDirectory, fileJournal, journalPath } from '../journal-file.ts';
import { NAMESPACES } from '../../open-stores.ts';
import type { Namespace } from '../../open-stores.ts';
import { choiceOption, integerOption, numberOption, parseCommandLine, stringOption } from '../parse-command-line.ts';
import { progressPrinter } from '../progress-display.ts';
import type { ProgressStyle } from '../progress-display.ts';
import { assertSourceHoldsObjects } from '../source-directory.ts';
import { SETTINGS_OPTIONS, settingsEnvironment } from '../settings-source.ts';
import {
  STORE_SPEC_FORMS,
  closeSpec,
  defaultSourceSpec,
  defaultTargetSpec,
  openSpec,
  parseStoreSpec,
  storeOf,
} from '../store-spec.ts';
import type { OpenedSpec, StoreSpec } from '../store-spec.ts';
import { UsageError } from '../usage-error.ts';

/**
 * From a local store to S3, objects of at least this size are hashed by a first read of the file, so S3 takes their
 * SHA-256 in the upload itself instead of a server-side copy of the whole object afterwards; reading a local file
 * twice costs little. The size from which S3 clients (the AWS CLI's multipart_threshold) stop sending an object in
 * one request.
 */
const HASH_FIRST_FROM_LOCAL_TO_S3 = 8 * 1024 * 1024;

/**
 * Node with the S3 SDK loaded starts well inside the budget (package README, performance). An S3 put holds in memory an object that fits in a part (5 MiB by
 * default) and, through lib-storage, the parts of a larger one (an S3-compatible endpoint streams those instead), so
 * 16 MiB in flight bounds what the puts hold while small objects still flow six at a time.
 */
const DEFAULT_MAX_IN_FLIGHT_MIB = 16;

export const MIGRATE_USAGE: string = `usage: stowage migrate [--from SPEC] [--to SPEC] [options]

Copies every object from one storage to another, keys unchanged, with content type, disposition, cache control
and metadata; verifies each copy (size and SHA-256) at the target. Resumable: objects already at the target with
the same size and SHA-256 are skipped, so rerun it after a crash or to pick up new uploads. The source is only read.

Default: from LOCAL_UPLOADS_DIR to the S3 buckets of the settings (S3_AUTH_UPLOADS_BUCKET, S3_AVATAR_BUCKET,
S3_ENDPOINT_URL, ...), both namespaces: uploads, and avatars with realm icons, logos and emoji.

  --from SPEC, --to SPEC   ${STORE_SPEC_FORMS}.
                           local: and env: name both namespaces; dir: and s3:// name one store.
  --namespace NAME         uploads or avatars only (required when one side is a single store).
  --concurrency N          objects copied at once (default ${DEFAULT_CONCURRENCY}).
  --prefix PREFIX          only keys starting with PREFIX.
  --dry-run                say what would be copied and how many bytes; write nothing.
  --verify-only            compare: list missing, different and only-at-target objects; write nothing.
  --no-resume              copy every object even when the target has it already.
  --resume-by HOW          sha256 (default): skip objects with the same size and SHA-256 (one HEAD per object);
                           size-and-time: skip by size and a target copy no older than the source, from the
                           listings alone (fast; misses same-size changes made at the target).
  --verify head|read-back  check copies by the target's answer to the upload where it proves the bytes (an S3
                           ETag), else by its size and SHA-256 (default); or by reading every copy back.
  --journal-dir DIR        where the journal of copies made and verified is kept (default
                           $XDG_STATE_HOME/stowage/migrate, else ~/.local/state/stowage/migrate). A rerun skips an
                           object, with no request, when both sides still show the versions the journal names;
                           others are compared by size and SHA-256 as usual.
  --no-journal             neither read nor write a journal.
  --report FILE            write the outcome as JSON (copied, skipped, failed with reasons, bytes, duration).
  --progress STYLE         bar (default on a terminal), lines (default otherwise), json (also one line per
                           object), or none. Progress goes to stderr, the summary to stdout.
  --progress-interval S    seconds between progress lines (default 5 for lines, 1 for json).
  --endpoint URL           S3 endpoint for s3:// specs (else S3_ENDPOINT_URL); --from-endpoint, --to-endpoint per side.
  --part-size MIB          S3 part size (default 5): an object up to this size is read into memory and sent in
                           one PutObject; a larger one goes up in parts of this size (a multipart upload).
  --max-in-flight MIB      bytes of objects copied at once, at most (default ${DEFAULT_MAX_IN_FLIGHT_MIB}): an S3 upload
                           may hold an object or its parts in memory, so this bounds memory; one larger object is
                           copied alone.
  --settings FILE          read settings from FILE (KEY=value lines) instead of the environment.

Exit status: 0 when everything was copied (or matched), 1 when any object failed or differs, 2 for a bad command
line or settings, 130 when interrupted (rerun to resume).`;

interface PlannedRun {
  readonly label: string;
  readonly source: ObjectStore;
  readonly target: ObjectStore;
}

function plan(
  from: StoreSpec,
  to: StoreSpec,
  source: OpenedSpec,
  target: OpenedSpec,
  chosen: Namespace | undefined,
): PlannedRun[] {
  if (from.kind === 'deployment' && to.kind === 'deployment') {
    return (chosen === undefined ? NAMESPACES : [chosen]).map((namespace) => ({
      label: namespace,
      source: storeOf(source, namespace),
      target: storeOf(target, namespace),
    }));
  }
  if (from.kind !== 'deployment' && to.kind !== 'deployment') {
    return [{ label: chosen ?? 'objects', source: storeOf(source, 'uploads'), target: storeOf(target, 'uploads') }];
  }
  if (chosen === undefined) {
    throw new UsageError(
      `${from.kind === 'deployment' ? '--from' : '--to'} names two namespaces and the other side one store: choose one with --namespace uploads|avatars`,
    );
  }
  return [{ label: chosen, source: storeOf(source, chosen), target: storeOf(target, chosen) }];
}

function summarize(label: string, report: MigrationReport): string {
  const lines: string[] = [];
  const seconds = formatDuration(report.durationMs / 1000);
  if (report.mode === 'verify-only') {
    lines.push(
      `${label}: ${report.sourceObjects} objects compared in ${seconds}: ${report.matched.objects} identical, ${report.missing.objects} missing, ` +
        `${report.different.objects} different, ${report.onlyAtTarget.objects} only at the target, ${report.failed} failed`,
    );
    for (const key of report.missing.keys) lines.push(`  missing     ${key}`);
    for (const key of report.different.keys) lines.push(`  different   ${key}`);
    for (const key of report.onlyAtTarget.keys) lines.push(`  only-target ${key}`);
  } else if (report.mode === 'dry-run') {
    lines.push(
      `${label}: would copy ${report.wouldCopy.objects} objects (${formatBytes(report.wouldCopy.bytes)}); ` +
        `${report.skipped.objects} already at the target; ${report.failed} failed`,
    );
    for (const key of report.wouldCopy.keys) lines.push(`  would copy  ${key}`);
  } else {
    lines.push(
      `${label}: copied ${report.copied.objects} objects (${formatBytes(report.copied.bytes)}), skipped ${report.skipped.objects} already there, ` +
        `${report.failed} failed, in ${seconds}`,
    );
  }
  if (report.vanished.objects > 0)
    lines.push(`  ${report.vanished.objects} objects were deleted at the source during the run`);
  for (const failure of report.failures) {
    lines.push(
      `  FAILED ${failure.key}: ${failure.code}: ${failure.message} (${failure.attempts} attempt${failure.attempts === 1 ? '' : 's'})`,
    );
  }
  if (report.failed > report.failures.length)
    lines.push(`  ... and ${report.failed - report.failures.length} more failures`);
  return `${lines.join('\n')}\n`;
}

/** `stowage migrate`: copies, compares, or plans a copy between two storages. */
export async function runMigrate(args: readonly string[], context: CliContext): Promise<number> {
  const { options } = parseCommandLine(args, {
    from: { type: 'string' },
    to: { type: 'string' },
    namespace: { type: 'string' },
    concurrency: { type: 'string' },
    prefix: { type: 'string' },
    'dry-run': { type: 'boolean' },
    'verify-only': { type: 'boolean' },
    'no-resume': { type: 'boolean' },
    'resume-by': { type: 'string' },
    verify: { type: 'string' },
    report: { type: 'string' },
    progress: { type: 'string' },
    'progress-interval': { type: 'string' },
    endpoint: { type: 'string' },
    'from-endpoint': { type: 'string' },
    'to-endpoint': { type: 'string' },
    'part-size': { type: 'string' },
    'max-in-flight': { type: 'string' },
    ...SETTINGS_OPTIONS,
    'journal-dir': { type: 'string' },
    'no-journal': { type: 'boolean' },
  });
  const env = settingsEnvironment(options, context);
  const fromText = stringOption(options, 'from');
  const toText = stringOption(options, 'to');
  const from = fromText === undefined ? defaultSourceSpec(env) : parseStoreSpec(fromText);
  const to = toText === undefined ? defaultTargetSpec(env) : parseStoreSpec(toText);
  const chosen = choiceOption(options, 'namespace', NAMESPACES);
  const concurrency = integerOption(options, 'concurrency', 1, 256);
  const dryRun = options['dry-run'] === true;
  const verifyOnly = options['verify-only'] === true;
  if (dryRun && verifyOnly) throw new UsageError('--dry-run and --verify-only exclude each other');
  const verify = choiceOption(options, 'verify', ['head', 'read-back'] as const);
  const resumeBy = choiceOption(options, 'resume-by', ['sha256', 'size-and-time'] as const);
  const reportFile = stringOption(options, 'report');
  const style: ProgressStyle =
    choiceOption(options, 'progress', ['bar', 'lines', 'json', 'none'] as const) ??
    (context.interactive ? 'bar' : 'lines');
  const intervalSeconds =
    numberOption(options, 'progress-interval') ?? (style === 'lines' ? 5 : style === 'json' ? 1 : 0.2);
  const partSizeMiB = integerOption(options, 'part-size', 5, 5 * 1024);
  const maxInFlightMiB = integerOption(options, 'max-in-flight', 1, 1024 * 1024) ?? DEFAULT_MAX_IN_FLIGHT_MIB;
  const prefix = typeof options.prefix === 'string' ? options.prefix : undefined;
  const endpoint = stringOption(options, 'endpoint');
  const journalDirectory =
    options['no-journal'] === true ? undefined : (stringOption(options, 'journal-dir') ?? defaultJournalDirectory(env));
  const fromEndpoint = stringOption(options, 'from-endpoint') ?? endpoint ?? env.S3_ENDPOINT_URL ?? '';
  const toEndpoint = stringOption(options, 'to-endpoint') ?? endpoint ?? env.S3_ENDPOINT_URL ?? '';
  // A batch run with nothing else on its event loop: each file call costs less on the calling thread.
  const storeOptions = {
    env,
    s3PartSize: partSizeMiB === undefined ? undefined : partSizeMiB * 1024 * 1024,
    localFileSystem: blockingNodeFileSystem,
  };

  const source = openSpec(from, { ...storeOptions, endpoint: stringOption(options, 'from-endpoint') ?? endpoint });
  let target: OpenedSpec | undefined;
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const reports: Record<string, MigrationReport> = {};
  let interrupted = false;
  try {
    target = openSpec(to, { ...storeOptions, endpoint: stringOption(options, 'to-endpoint') ?? endpoint });
    const runs = plan(from, to, source, target, chosen);
    for (const run of runs) {
      if (
        run.source.name === run.target.name &&
        (stringOption(options, 'from-endpoint') ?? endpoint) === (stringOption(options, 'to-endpoint') ?? endpoint)
      ) {
        throw new UsageError(`--from and --to are the same store (${run.source.name})`);
      }
    }
    assertSourceHoldsObjects(from, chosen);
    context.stderr.write(
      `${verifyOnly ? 'comparing' : dryRun ? 'planning' : 'migrating'} ${from.text} -> ${to.text}\n`,
    );
    for (const run of runs) {
      try {
        reports[run.label] = await migrate(run.source, run.target, {
          concurrency,
          maxBytesInFlight: maxInFlightMiB * 1024 * 1024,
          prefix,
          dryRun,
          verifyOnly,
          resume: options['no-resume'] !== true,
          resumeBy,
          verify,
          journal:
            journalDirectory === undefined
              ? undefined
              : fileJournal(
                  journalPath(journalDirectory, [run.source.name, fromEndpoint, run.target.name, toEndpoint]),
                ),
          sha256: nodeSha256,
          hashFirstFrom:
            run.source instanceof LocalStore && run.target instanceof S3Store ? HASH_FIRST_FROM_LOCAL_TO_S3 : undefined,
          // Totals feed only the progress display's ETA: without one, the second listing of the source is waste.
          countTotals: style !== 'none',
          signal: context.signal,
          progressIntervalMs: Math.min(250, intervalSeconds * 1000),
          onProgress: progressPrinter(style, context.stderr, run.label, intervalSeconds * 1000),
          // Tools following a run (and the kill tests) need to know which objects are done, not only how many.
          onObject:
            style === 'json'
              ? (event) => {
                  context.stderr.write(
                    `${JSON.stringify({ event: 'object', namespace: run.label, key: event.key, outcome: event.outcome, size: event.size })}\n`,
                  );
                }
              : undefined,
        });
      } catch (error) {
        if (isStorageError(error, 'Aborted') && context.signal.aborted) {
          interrupted = true;
          break;
        }
        throw error;
      }
      const report = reports[run.label];
      if (report !== undefined) context.stdout.write(summarize(run.label, report));
    }
  } finally {
    closeSpec(source);
    if (target !== undefined) closeSpec(target);
  }

  const all = Object.values(reports);
  const ok = !interrupted && all.every((report) => report.ok);
  if (reportFile !== undefined) {
    const sum = (pick: (report: MigrationReport) => number): number =>
      all.reduce((total, report) => total + pick(report), 0);
    const document = {
      from: from.text,
      to: to.text,
      mode: verifyOnly ? 'verify-only' : dryRun ? 'dry-run' : 'copy',
      startedAt,
      durationMs: Math.round(performance.now() - started),
      ok,
      interrupted,
      copied: sum((report) => report.copied.objects),
      skipped: sum((report) => report.skipped.objects),
      failed: sum((report) => report.failed),
      bytes: sum((report) => report.copied.bytes),
      failures: all.flatMap((report) => report.failures),
      namespaces: reports,
    };
    writeFileSync(reportFile, `${JSON.stringify(document, null, 2)}\n`);
  }
  if (interrupted) {
    context.stderr.write(
      'interrupted: objects copied so far are complete and verified; run the same command again to resume\n',
    );
    return EXIT_INTERRUPTED;
  }
  return ok ? EXIT_OK : EXIT_FAILED;
}
