import type SqliteDatabase from 'better-sqlite3';

/**
 * Tells when rows of some tables may have changed since a cached copy was read, so that hot reads can be
 * answered from memory and still never be stale (hot-query.ts `cachedHotQuery`). Two sources of change:
 *
 * - this process: every write statement of the writing connection names its table; a table's version
 *   moves when the transaction that wrote it ends (commit or rollback), which is when the fast reader can
 *   first see the new rows;
 * - any other connection (the CLI, a second instance on the same file): `PRAGMA data_version` of the
 *   writing connection changes exactly when another connection committed (SQLite docs), whatever it wrote,
 *   so every table's version moves.
 *
 * While the writing connection holds a transaction open, `data_version` cannot see other commits, and this
 * process's own pending writes are not yet visible: no version is given then, and callers read the database.
 */
export interface ChangeWatch {
  /** A number that differs from every earlier one whenever rows of `tables` may have changed; undefined: do not cache now. */
  version(tables: readonly string[]): number | undefined;
}

/** The tables whose rows are cached (hot-query.ts); writes to others are not tracked. */
export const WATCHED_TABLES = ['access_key', 'account', 'product'] as const;
const WATCHED = new RegExp(`\\b(${WATCHED_TABLES.join('|')})\\b`, 'gi');

export interface WriterChanges extends ChangeWatch {
  /** Called before a statement of the writing connection runs; returns what to call after it ran. */
  tablesWrittenBy(sql: string, readonly: boolean): readonly string[];
  /** After any statement of the writing connection (it may have ended a transaction). */
  afterStatement(written: readonly string[]): void;
}

export function createWriterChanges(database: SqliteDatabase.Database): WriterChanges {
  const dataVersion = database.prepare('PRAGMA data_version').pluck();
  // Strictly increasing; a table's version is the sequence number of its last change.
  let sequence = 1;
  let externalChange = sequence;
  let lastDataVersion = dataVersion.get() as number;
  const tableChange = new Map<string, number>();
  const pending = new Set<string>();

  function settle(): void {
    if (pending.size === 0 || database.inTransaction) return;
    sequence++;
    for (const table of pending) tableChange.set(table, sequence);
    pending.clear();
  }

  return {
    tablesWrittenBy(sql, readonly) {
      // Transaction control statements count as read-only; a write of a watched table names it (quoted
      // or not). A statement that merely mentions one (a sub-select) moves its version too: harmless.
      if (readonly) return [];
      return [...new Set(Array.from(sql.matchAll(WATCHED), (m) => m[1]!.toLowerCase()))];
    },
    afterStatement(written) {
      for (const table of written) pending.add(table);
      settle();
    },
    version(tables) {
      if (database.inTransaction) return undefined;
      settle();
      const current = dataVersion.get() as number;
      if (current !== lastDataVersion) {
        lastDataVersion = current;
        externalChange = ++sequence;
      }
      let version = externalChange;
      for (const table of tables) version = Math.max(version, tableChange.get(table) ?? 0);
      return version;
    },
  };
}
