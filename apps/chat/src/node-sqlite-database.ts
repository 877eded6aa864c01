import type { SqlDatabase, SqlStatement } from './sql-database.ts';

interface NodeSqliteModule {
  readonly DatabaseSync: new (path: string) => {
    exec(sql: string): void;
    prepare(sql: string): SqlStatement;
    close(): void;
  };
}

/**
 * The runtime's built-in `node:sqlite` (Deno, Node 22.13+), or `undefined` where it cannot be imported (Node 20,
 * or Node 22 before 22.13 without `--experimental-sqlite`).
 */
export async function loadNodeSqlite(): Promise<((path: string) => SqlDatabase) | undefined> {
  // A computed specifier: Node 20's type definitions have no node:sqlite.
  const specifier = 'node:sqlite';
  let module: NodeSqliteModule;
  try {
    module = (await import(specifier)) as NodeSqliteModule;
  } catch {
    return undefined;
  }
  return (path) => new module.DatabaseSync(path);
}

/** Opens an SQLite file with `node:sqlite`; throws where the runtime has none. */
export async function openNodeSqliteDatabase(path: string): Promise<SqlDatabase> {
  const open = await loadNodeSqlite();
  if (open === undefined) throw new Error('this runtime has no node:sqlite (Node 22.13+ and Deno have it)');
  return open(path);
}
