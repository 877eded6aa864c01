export { DEFAULT_CONCURRENCY, DEFAULT_LIST_LIMIT, migrate } from './migrate.ts';
export type { MigrateOptions, VerifyMode } from './migrate.ts';
export type {
  KeyTally, MigrationFailure, MigrationMode, MigrationReport, ObjectEvent, ObjectOutcome,
} from './migration-report.ts';
export type { MigrationProgress } from './progress.ts';
export { DEFAULT_RETRY_POLICY, isTransientFailure } from './retry.ts';
export type { RetryPolicy } from './retry.ts';
export { journalProves } from './journal.ts';
export type { JournalEntry, JournalWriter, MigrationJournal } from './journal.ts';
