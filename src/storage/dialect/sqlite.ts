import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { SqliteDialect, type SqliteDatabase as KyselySqliteDatabase, type SqliteStatement } from 'kysely';
import type { DialectTraits } from './traits.js';

export const sqliteTraits: DialectTraits = { name: 'sqlite', skipLocked: false };

/** The embedded database: one file under the data dir, WAL so readers never wait for the writer. */
export function createSqliteDialect(dataDir: string): SqliteDialect {
  mkdirSync(dataDir, { recursive: true });
  const database = new SqliteDatabase(join(dataDir, 'flotilla.db'));
  database.pragma('journal_mode = WAL');
  // WAL + NORMAL: a crash of the process loses nothing; only a power cut can lose the last commits.
  // One fsync per commit would cap the API near 2,800 writes/s (shared/BENCHMARKS.md).
  database.pragma('synchronous = NORMAL');
  // The CLI and a running server share the file; wait for each other's short transactions.
  database.pragma('busy_timeout = 10000');
  database.pragma('foreign_keys = ON');
  return new SqliteDialect({ database: withStatementCache(database) });
}

// Kysely prepares every query anew; on a signed API call that was a sixth of the CPU (bench/RESULTS.md).
// better-sqlite3 statements are reusable, so keep the prepared form of each distinct SQL text. The bound
// keeps `IN (?, ?, …)` lists of many lengths from growing the cache without limit.
const MAX_CACHED_STATEMENTS = 1000;

function withStatementCache(database: SqliteDatabase.Database): KyselySqliteDatabase {
  const statements = new Map<string, SqliteStatement>();
  return {
    close: () => database.close(),
    prepare(sql) {
      let statement = statements.get(sql);
      if (statement === undefined) {
        statement = database.prepare(sql) as unknown as SqliteStatement;
        if (statements.size >= MAX_CACHED_STATEMENTS) statements.clear();
        statements.set(sql, statement);
      }
      return statement;
    },
  };
}
