import pg from 'pg';
import { PostgresDialect } from 'kysely';
import type { DialectTraits } from './traits.js';

export const postgresTraits: DialectTraits = { name: 'postgres', skipLocked: true };

// int8 (bigint) arrives as a string from pg; every bigint here is an epoch-ms time or a counter far below
// 2^53, so read it as a number, like SQLite returns it. COUNT(*) is int8 too.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export function createPostgresDialect(connectionString: string): { dialect: PostgresDialect; pool: pg.Pool } {
  const pool = new pg.Pool({ connectionString, max: 10 });
  // An idle client that loses its server must not crash the process; the next query reports the error.
  pool.on('error', () => {});
  return { dialect: new PostgresDialect({ pool }), pool };
}
