import { type Compilable, CompiledQuery } from 'kysely';
import type { Db } from './db.js';

/**
 * A read on the path of every API call, built and compiled by Kysely once per database instead of on each
 * call (building and compiling cost more than SQLite's execution of a point read, bench/RESULTS.md). The
 * query is built with marker values; each call puts its arguments where the markers went.
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
    const result = await db.executeQuery<R>(CompiledQuery.raw(plan.sql, parameters));
    return result.rows;
  };
}
