/** A value SQLite stores or returns. */
export type SqlValue = string | number | bigint | null | Uint8Array;

/** A prepared statement with positional `?` parameters. */
export interface SqlStatement {
  /** The first row, or `undefined` when there is none. */
  get(...parameters: SqlValue[]): unknown;
  /** Every row. */
  all(...parameters: SqlValue[]): unknown[];
  /** Runs the statement; `lastInsertRowid` is the rowid of the last inserted row. */
  run(...parameters: SqlValue[]): { readonly changes: number | bigint; readonly lastInsertRowid: number | bigint };
}

/**
 * The small synchronous SQLite surface the chat app needs. Node's driver (better-sqlite3) and Deno's
 * (`node:sqlite`) both provide it, so the runtime's driver is injected by the entry point, never sniffed.
 */
export interface SqlDatabase {
  /** Runs one or more statements that take no parameters (schema, pragmas, BEGIN/COMMIT). */
  exec(sql: string): void;
  prepare(sql: string): SqlStatement;
  close(): void;
}

const openTransactions = new WeakSet<SqlDatabase>();

/** Runs `work` in one transaction: all of its writes, or none when it throws. Nested calls join the outer one. */
export function inTransaction<T>(db: SqlDatabase, work: () => T): T {
  if (openTransactions.has(db)) return work();
  openTransactions.add(db);
  try {
    return runTransaction(db, work);
  } finally {
    openTransactions.delete(db);
  }
}

function runTransaction<T>(db: SqlDatabase, work: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = work();
    db.exec('COMMIT');
    return result;
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
}
