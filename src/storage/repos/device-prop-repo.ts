import type { Db } from '../db.js';

export interface DevicePropRow {
  prop_key: string;
  prop_value: string;
}

/** A device's tags, by key. */
export async function listProps(db: Db, deviceRowId: string): Promise<DevicePropRow[]> {
  return db.selectFrom('device_prop').select(['prop_key', 'prop_value']).where('device_id', '=', deviceRowId).execute();
}

/** Adds or overwrites the given tags; the device's other tags stay (fleet-api §9.1). */
export async function upsertProps(db: Db, deviceRowId: string, props: readonly DevicePropRow[], at: number): Promise<void> {
  if (props.length === 0) return;
  await db
    .insertInto('device_prop')
    .values(props.map((p) => ({ device_id: deviceRowId, prop_key: p.prop_key, prop_value: p.prop_value, created_at: at })))
    .onConflict((oc) => oc.columns(['device_id', 'prop_key']).doUpdateSet((eb) => ({ prop_value: eb.ref('excluded.prop_value') })))
    .execute();
}

export async function deleteProp(db: Db, deviceRowId: string, propKey: string): Promise<void> {
  await db.deleteFrom('device_prop').where('device_id', '=', deviceRowId).where('prop_key', '=', propKey).execute();
}
