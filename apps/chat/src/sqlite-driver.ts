import { loadNodeSqlite } from './node-sqlite-database.ts';
import type { SqlDatabase } from './sql-database.ts';

/** The SQLite driver an entry point hands the app. */
export interface SqliteDriver {
  readonly name: 'node:sqlite' | 'better-sqlite3';
  /** Opens (creating when missing) an SQLite file; `:memory:` for a throwaway one. */
  readonly open: (path: string) => SqlDatabase;
}

/**
 * Chooses by capability, not by runtime name: `node:sqlite` wherever it can be imported (Node 22.13+, Deno),
 * else better-sqlite3 (Node 20). better-sqlite3 is a native addon built for one Node ABI (the one `npm ci` ran
 * on), so it is only loaded where it is the only driver.
 */
export async function chooseSqliteDriver(): Promise<SqliteDriver> {
  const nodeSqlite = await loadNodeSqlite();
  if (nodeSqlite !== undefined) return { name: 'node:sqlite', open: nodeSqlite };
  const { openBetterSqliteDatabase } = await import('./better-sqlite-database.ts');
  return { name: 'better-sqlite3', open: openBetterSqliteDatabase };
}
