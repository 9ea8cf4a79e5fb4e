import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { SqliteDialect } from 'kysely';
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
  return new SqliteDialect({ database });
}
