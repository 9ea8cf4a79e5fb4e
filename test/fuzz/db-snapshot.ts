import { type Kysely, sql } from 'kysely';

/** Every row of every table, serialised, per table. */
export type Snapshot = Map<string, Set<string>>;

/**
 * Counters that legitimately move when anything is created (id_sequence hands out ApplyIds, fleet-api §2.1):
 * their rows may change, but only upwards.
 */
const COUNTER_TABLES: Record<string, { key: string; value: string }> = { id_sequence: { key: 'name', value: 'value' } };

export async function snapshotTables(db: Kysely<any>): Promise<Snapshot> {
  const tables = await db.introspection.getTables();
  const snapshot: Snapshot = new Map();
  for (const table of tables) {
    const { rows } = await sql<Record<string, unknown>>`select * from ${sql.table(table.name)}`.execute(db);
    snapshot.set(table.name, new Set(rows.map(serialise)));
  }
  return snapshot;
}

function serialise(row: Record<string, unknown>): string {
  const sorted = Object.keys(row)
    .sort()
    .map((k) => [k, row[k]] as const);
  return JSON.stringify(sorted, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : Buffer.isBuffer(v) ? v.toString('hex') : v));
}

/** Rows present in `before` and not byte-for-byte the same in `after` (rows added since are fine). */
export function lostOrChangedRows(before: Snapshot, after: Snapshot): string[] {
  const problems: string[] = [];
  for (const [table, rows] of before) {
    const now = after.get(table);
    if (now === undefined) {
      problems.push(`table ${table} is gone`);
      continue;
    }
    const counter = COUNTER_TABLES[table];
    for (const row of rows) {
      if (now.has(row)) continue;
      if (counter !== undefined && counterMovedUp(row, now, counter)) continue;
      problems.push(`${table}: ${row}`);
    }
  }
  return problems;
}

function counterMovedUp(row: string, now: Set<string>, counter: { key: string; value: string }): boolean {
  const fields = new Map(JSON.parse(row) as [string, unknown][]);
  for (const candidate of now) {
    const other = new Map(JSON.parse(candidate) as [string, unknown][]);
    if (other.get(counter.key) === fields.get(counter.key) && Number(other.get(counter.value)) >= Number(fields.get(counter.value))) return true;
  }
  return false;
}
