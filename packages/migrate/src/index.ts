export { DEFAULT_CONCURRENCY, migrate } from './migrate.ts';
export type { MigrateOptions } from './migrate.ts';
export type { MigrationReport } from './migration-report.ts';
export type { MigrationProgress } from './progress.ts';
export type { JournalEntry, JournalWriter, MigrationJournal } from './journal.ts';
