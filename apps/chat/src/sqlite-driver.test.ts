import { describe, expect, it } from 'vitest';
import { ensureSchema } from './schema.ts';
import { inTransaction } from './sql-database.ts';
import { chooseSqliteDriver } from './sqlite-driver.ts';

describe('chooseSqliteDriver', () => {
  it('takes node:sqlite exactly where the runtime can import it, else better-sqlite3', async () => {
    // A computed specifier, as in node-sqlite-database.ts: Node 20's types have no node:sqlite.
    const specifier = 'node:sqlite';
    const importable = await import(specifier).then(
      () => true,
      () => false,
    );
    const driver = await chooseSqliteDriver();
    console.log(`SQLite driver on ${process.version}: ${driver.name}`);
    expect(driver.name).toBe(importable ? 'node:sqlite' : 'better-sqlite3');
  });

  it('opens a database the app can use: schema, parameters, rows, rollback', async () => {
    const db = (await chooseSqliteDriver()).open(':memory:');
    try {
      ensureSchema(db);
      db.exec('CREATE TABLE probe (id INTEGER PRIMARY KEY, name TEXT NOT NULL, size INTEGER, bytes BLOB)');
      const inserted = db
        .prepare('INSERT INTO probe (name, size, bytes) VALUES (?, ?, ?)')
        .run('a', 2 ** 40, new Uint8Array([1, 2]));
      expect(Number(inserted.lastInsertRowid)).toBe(1);
      expect(() =>
        inTransaction(db, () => {
          db.prepare('INSERT INTO probe (name) VALUES (?)').run('rolled back');
          throw new Error('undo');
        }),
      ).toThrow('undo');
      const rows = db.prepare('SELECT name, size, bytes FROM probe ORDER BY id').all() as {
        name: string;
        size: number;
        bytes: Uint8Array;
      }[];
      expect(rows.map((row) => ({ ...row, bytes: [...row.bytes] }))).toEqual([
        { name: 'a', size: 2 ** 40, bytes: [1, 2] },
      ]);
      expect(db.prepare('SELECT name FROM probe WHERE id = ?').get(99)).toBeUndefined();
    } finally {
      db.close();
    }
  });
});
