import type { SqlDatabase, SqlStatement } from './sql-database.ts';

interface NodeSqliteModule {
  readonly DatabaseSync: new (path: string) => {
    exec(sql: string): void;
    prepare(sql: string): SqlStatement;
    close(): void;
  };
}

/**
 * Opens an SQLite file with the runtime's built-in `node:sqlite` (Deno, Node 22.5+). better-sqlite3 is a V8
 * addon that Deno cannot load, so the Deno entry point injects this driver instead.
 */
export async function openNodeSqliteDatabase(path: string): Promise<SqlDatabase> {
  // A computed specifier: Node 20's type definitions have no node:sqlite, and Node 20 never runs this file.
  const specifier = 'node:sqlite';
  const { DatabaseSync } = (await import(specifier)) as NodeSqliteModule;
  const db = new DatabaseSync(path);
  return {
    exec(sql) {
      db.exec(sql);
    },
    prepare(sql) {
      return db.prepare(sql);
    },
    close() {
      db.close();
    },
  };
}
