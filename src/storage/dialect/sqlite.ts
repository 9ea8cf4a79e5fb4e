import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { SqliteDialect, type SqliteDatabase as KyselySqliteDatabase, type SqliteStatement } from 'kysely';
import { createWriterChanges, type ChangeWatch, type WriterChanges } from './sqlite-changes.js';
import type { DialectTraits } from './traits.js';

export const sqliteTraits: DialectTraits = { name: 'sqlite', skipLocked: false };

/** Synchronous reads of committed data, for the few queries on the path of every API call. */
export interface FastReader {
  all(sql: string, parameters: readonly unknown[]): unknown[];
  close(): void;
}

/** The writing connection itself, for the few writes on the path of every API call (nonces). */
export interface SqliteWriter {
  readonly database: SqliteDatabase.Database;
  readonly changes: ChangeWatch;
}

/** The embedded database: one file under the data dir, WAL so readers never wait for the writer. */
export function createSqliteDialect(dataDir: string): { dialect: SqliteDialect; writer: SqliteWriter } {
  mkdirSync(dataDir, { recursive: true });
  const database = new SqliteDatabase(fileOf(dataDir));
  database.pragma('journal_mode = WAL');
  // WAL + NORMAL: a crash of the process loses nothing; only a power cut can lose the last commits.
  // One fsync per commit would cap the API near 2,800 writes/s (shared/BENCHMARKS.md).
  database.pragma('synchronous = NORMAL');
  // The CLI and a running server share the file; wait for each other's short transactions.
  database.pragma('busy_timeout = 10000');
  database.pragma('foreign_keys = ON');
  database.pragma(`mmap_size = ${MMAP_BYTES}`);
  const changes = createWriterChanges(database);
  return { dialect: new SqliteDialect({ database: withStatementCache(database, changes) }), writer: { database, changes } };
}

const MMAP_BYTES = 256 * 1024 * 1024;

function fileOf(dataDir: string): string {
  return join(dataDir, 'flotilla.db');
}

/**
 * A second, read-only connection to the same file. Kysely runs every query of the one writing connection
 * through a promise-chained mutex; a point read that SQLite answers in a few µs cost ten times that around
 * it (bench/RESULTS.md). WAL lets this connection read the last committed state while the other writes, so
 * it never sees another request's uncommitted transaction. Open it after migrations.
 */
export function openFastReader(dataDir: string): FastReader {
  const reader = new SqliteDatabase(fileOf(dataDir), { readonly: true, fileMustExist: true });
  reader.pragma('busy_timeout = 10000');
  // Every commit of the writing connection empties this connection's page cache; memory-mapped reads
  // make refetching those pages a memory access instead of a read() call each.
  reader.pragma(`mmap_size = ${MMAP_BYTES}`);
  const cached = withStatementCache(reader);
  return {
    all: (sql, parameters) => (cached.prepare(sql) as unknown as SqliteDatabase.Statement).all(...parameters),
    close: () => reader.close(),
  };
}

// Kysely prepares every query anew; on a signed API call that was a sixth of the CPU (bench/RESULTS.md).
// better-sqlite3 statements are reusable, so keep the prepared form of each distinct SQL text. The bound
// keeps `IN (?, ?, …)` lists of many lengths from growing the cache without limit.
const MAX_CACHED_STATEMENTS = 1000;

function withStatementCache(database: SqliteDatabase.Database, changes?: WriterChanges): KyselySqliteDatabase {
  const statements = new Map<string, SqliteStatement>();
  return {
    close: () => database.close(),
    prepare(sql) {
      let statement = statements.get(sql);
      if (statement === undefined) {
        const prepared = database.prepare(sql);
        statement = changes === undefined ? (prepared as unknown as SqliteStatement) : tracked(prepared, sql, changes);
        if (statements.size >= MAX_CACHED_STATEMENTS) statements.clear();
        statements.set(sql, statement);
      }
      return statement;
    },
  };
}

// COMMIT, ROLLBACK and RELEASE count as read-only statements, yet they make a transaction's writes visible.
const ENDS_TRANSACTION = /^\s*(commit|end|rollback|release)\b/i;

/** A statement of the writing connection that reports the tables it writes (sqlite-changes.ts). */
function tracked(prepared: SqliteDatabase.Statement, sql: string, changes: WriterChanges): SqliteStatement {
  const statement = prepared as unknown as SqliteStatement;
  if (prepared.readonly && !ENDS_TRANSACTION.test(sql)) return statement;
  const written = changes.tablesWrittenBy(sql, prepared.readonly);
  return {
    reader: statement.reader,
    all(parameters) {
      try {
        return statement.all(parameters);
      } finally {
        changes.afterStatement(written);
      }
    },
    run(parameters) {
      try {
        return statement.run(parameters);
      } finally {
        changes.afterStatement(written);
      }
    },
    iterate: (parameters) => statement.iterate(parameters),
  };
}
