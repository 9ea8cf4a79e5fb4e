import { type Compilable, CompiledQuery } from 'kysely';
import type { Db } from './db.js';
import type { FastReader, SqliteWriter } from './dialect/sqlite.js';
import type { NonceStore } from './dialect/sqlite-nonce-store.js';
import { WATCHED_TABLES } from './dialect/sqlite-changes.js';

export interface FastPaths {
  readonly reader: FastReader;
  readonly writer: SqliteWriter;
  readonly nonces: NonceStore;
}

// Root databases (never transactions) whose reads may go to a synchronous read-only connection, whose
// hot rows may be cached, and whose nonces live in a file of their own (SQLite only).
const fastPaths = new WeakMap<Db, FastPaths>();

/** Enables the SQLite fast paths on `db` itself (not on its transactions): dialect/sqlite.ts. */
export function enableFastPaths(db: Db, paths: FastPaths): void {
  fastPaths.set(db, paths);
}

/** The nonce store of a root SQLite database; undefined for PostgreSQL and for transactions. */
export function nonceStoreOf(db: Db): NonceStore | undefined {
  return fastPaths.get(db)?.nonces;
}

/**
 * A read on the path of every API call, built and compiled by Kysely once per database instead of on each
 * call (building and compiling cost more than SQLite's execution of a point read, bench/RESULTS.md). The
 * query is built with marker values; each call puts its arguments where the markers went. On SQLite, a
 * call on the root database reads committed data through the fast reader; inside a transaction it runs on
 * the transaction's connection as usual, so it sees that transaction's own writes.
 */
export function hotQuery<A extends readonly string[], R>(build: (db: Db, ...args: A) => Compilable<R>): (db: Db, ...args: A) => Promise<R[]> {
  const compiled = new WeakMap<Db, { sql: string; slots: (number | { value: unknown })[] }>();
  return async (db, ...args) => {
    let plan = compiled.get(db);
    if (plan === undefined) {
      const markers = args.map((_, i) => `\u0000hot-query-arg-${i}\u0000`) as unknown as A;
      const query = build(db, ...markers).compile();
      const slots = query.parameters.map((p) => {
        const index = markers.indexOf(p as string);
        return index === -1 ? { value: p } : index;
      });
      compiled.set(db, (plan = { sql: query.sql, slots }));
    }
    const parameters = plan.slots.map((slot) => (typeof slot === 'number' ? args[slot] : slot.value));
    const reader = fastPaths.get(db)?.reader;
    if (reader !== undefined) return reader.all(plan.sql, parameters) as R[];
    const result = await db.executeQuery<R>(CompiledQuery.raw(plan.sql, parameters));
    return result.rows;
  };
}

const MAX_CACHED_RESULTS = 10_000;

/**
 * A hot query whose results are kept in memory and stay correct: an entry is used only while no row of
 * `tables` can have changed since it was read, by this process or any other (dialect/sqlite-changes.ts).
 * Only on a root SQLite database; on PostgreSQL, and inside transactions, every call reads the database
 * (another instance's or the CLI's commit could not be seen in time there without a round trip anyway).
 * The rows are frozen: callers share them.
 */
export function cachedHotQuery<A extends readonly string[], R extends object>(
  tables: readonly (typeof WATCHED_TABLES)[number][],
  build: (db: Db, ...args: A) => Compilable<R>,
): (db: Db, ...args: A) => Promise<readonly R[]> {
  const query = hotQuery(build);
  const caches = new WeakMap<Db, Map<string, { version: number; rows: readonly R[] }>>();
  return async (db, ...args) => {
    const changes = fastPaths.get(db)?.writer.changes;
    const version = changes?.version(tables);
    if (version === undefined) return query(db, ...args);
    let cache = caches.get(db);
    if (cache === undefined) caches.set(db, (cache = new Map()));
    const key = args.length === 1 ? args[0]! : args.join('\u0000');
    const hit = cache.get(key);
    if (hit !== undefined && hit.version === version) return hit.rows;
    // The version was taken before the read: a change committed meanwhile makes this entry stale at once.
    const rows = Object.freeze((await query(db, ...args)).map((row) => Object.freeze(row)));
    if (cache.size >= MAX_CACHED_RESULTS) cache.clear();
    cache.set(key, { version, rows });
    return rows;
  };
}
