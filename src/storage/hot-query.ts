import { type Compilable, CompiledQuery } from 'kysely';
import type { Db } from './db.js';
import type { FastReader } from './dialect/sqlite.js';

// Root databases (never transactions) whose reads may go to a synchronous read-only connection.
const fastReaders = new WeakMap<Db, FastReader>();

/** Lets hot queries on `db` itself (not on its transactions) read through `reader` (dialect/sqlite.ts). */
export function enableFastReads(db: Db, reader: FastReader): void {
  fastReaders.set(db, reader);
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
    const reader = fastReaders.get(db);
    if (reader !== undefined) return reader.all(plan.sql, parameters) as R[];
    const result = await db.executeQuery<R>(CompiledQuery.raw(plan.sql, parameters));
    return result.rows;
  };
}
