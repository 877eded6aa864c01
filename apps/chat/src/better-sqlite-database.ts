import Database from 'better-sqlite3';
import type { SqlDatabase } from './sql-database.ts';

/** Opens (creating when missing) an SQLite file with Node's better-sqlite3; `:memory:` for a throwaway one. */
export function openBetterSqliteDatabase(path: string): SqlDatabase {
  return new Database(path);
}
