import type { Db } from '../db.js';

export interface ModuleVersionRow {
  device_id: string;
  module_name: string;
  version: string;
  reported_at: number;
}

export interface OtaProgressRow {
  device_id: string;
  module_name: string;
  step: number;
  description: string | null;
  reported_at: number;
}

// Rows per statement: 5 columns × 500 stays far below SQLite's 32,766 bound variables.
const ROWS_PER_STATEMENT = 500;

/**
 * Stores reported versions (device-protocol.md §4.1) in multi-row upserts. Within one call the last report
 * for a (device, module) wins, as if applied one by one (PostgreSQL refuses one statement touching a row twice).
 */
export async function upsertModuleVersions(db: Db, rows: readonly ModuleVersionRow[]): Promise<void> {
  for (const chunk of chunks(lastPerKey(rows), ROWS_PER_STATEMENT)) {
    await db
      .insertInto('device_module_version')
      .values(chunk)
      .onConflict((oc) =>
        oc.columns(['device_id', 'module_name']).doUpdateSet((eb) => ({
          version: eb.ref('excluded.version'),
          reported_at: eb.ref('excluded.reported_at'),
        })),
      )
      .execute();
  }
}

/** Keeps each device's last progress report per module (§4.3), in multi-row upserts like the versions. */
export async function upsertOtaProgress(db: Db, rows: readonly OtaProgressRow[]): Promise<void> {
  for (const chunk of chunks(lastPerKey(rows), ROWS_PER_STATEMENT)) {
    await db
      .insertInto('device_ota_progress')
      .values(chunk)
      .onConflict((oc) =>
        oc.columns(['device_id', 'module_name']).doUpdateSet((eb) => ({
          step: eb.ref('excluded.step'),
          description: eb.ref('excluded.description'),
          reported_at: eb.ref('excluded.reported_at'),
        })),
      )
      .execute();
  }
}

export async function findOtaProgress(db: Db, deviceId: string, moduleName: string): Promise<OtaProgressRow | undefined> {
  return db.selectFrom('device_ota_progress').selectAll().where('device_id', '=', deviceId).where('module_name', '=', moduleName).executeTakeFirst();
}

function lastPerKey<R extends { device_id: string; module_name: string }>(rows: readonly R[]): R[] {
  const last = new Map<string, R>();
  for (const row of rows) {
    const key = `${row.device_id}\u0000${row.module_name}`;
    last.delete(key);
    last.set(key, row);
  }
  return [...last.values()];
}

function* chunks<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}
