import type { Selectable } from 'kysely';
import type { Db } from '../db.js';
import type { DeviceApplyEntryTable, DeviceApplyTable } from '../schema.js';
import type { DeviceRow } from './device-repo.js';

export type DeviceApplyRow = Selectable<DeviceApplyTable>;
export type DeviceApplyEntryRow = Selectable<DeviceApplyEntryTable>;
type ApplyStatus = DeviceApplyRow['status'];

/** The next ApplyId; the row lock it takes is held until the caller's transaction ends. */
export async function nextApplyId(db: Db): Promise<number> {
  const row = await db
    .updateTable('id_sequence')
    .set((eb) => ({ value: eb('value', '+', 1) }))
    .where('name', '=', 'apply_id')
    .returning('value')
    .executeTakeFirstOrThrow();
  return Number(row.value);
}

export async function insertApply(db: Db, row: DeviceApplyRow): Promise<void> {
  await db.insertInto('device_apply').values(row).execute();
}

/** An application of this instance; another tenant's is answered exactly like a missing one. */
export async function findApply(db: Db, instanceRowId: string, applyId: number): Promise<DeviceApplyRow | undefined> {
  const row = await db
    .selectFrom('device_apply')
    .selectAll()
    .where('apply_id', '=', applyId)
    .where('instance_id', '=', instanceRowId)
    .executeTakeFirst();
  return row === undefined ? undefined : { ...row, apply_id: Number(row.apply_id) };
}

/** One guarded state change: false when the application was no longer in one of `from`. */
export async function moveApply(
  db: Db,
  m: { applyId: number; from: readonly ApplyStatus[]; to: ApplyStatus; at: number },
): Promise<boolean> {
  const result = await db
    .updateTable('device_apply')
    .set({ status: m.to, modified_at: m.at })
    .where('apply_id', '=', m.applyId)
    .where('status', 'in', m.from)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function insertEntries(db: Db, rows: readonly DeviceApplyEntryRow[]): Promise<void> {
  // 6 columns × 1,000 rows: below SQLite's 32,766 and PostgreSQL's 65,535 bound variables.
  for (let i = 0; i < rows.length; i += 1000) await db.insertInto('device_apply_entry').values(rows.slice(i, i + 1000)).execute();
}

/** Rewrites every entry of an application at once (cheaper than 10,000 single-row updates). */
export async function replaceEntries(db: Db, applyId: number, rows: readonly DeviceApplyEntryRow[]): Promise<void> {
  await db.deleteFrom('device_apply_entry').where('apply_id', '=', applyId).execute();
  await insertEntries(db, rows);
}

/** Every entry, in index order. */
export async function listEntries(db: Db, applyId: number): Promise<DeviceApplyEntryRow[]> {
  const rows = await db.selectFrom('device_apply_entry').selectAll().where('apply_id', '=', applyId).orderBy('seq').execute();
  return rows.map((r) => ({ ...r, apply_id: Number(r.apply_id), seq: Number(r.seq) }));
}

function createdDevices(db: Db, applyId: number) {
  return db
    .selectFrom('device_apply_entry')
    .innerJoin('device', 'device.id', 'device_apply_entry.device_id')
    .where('device_apply_entry.apply_id', '=', applyId)
    .where('device.deleted_at', 'is', null);
}

/** Live devices an application created (deleted ones are left out, fleet-api §4.7). */
export async function countCreatedDevices(db: Db, applyId: number): Promise<number> {
  const row = await createdDevices(db, applyId)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** A page of them, in the application's index order. */
export async function listCreatedDevices(db: Db, applyId: number, page: { offset: number; limit: number }): Promise<DeviceRow[]> {
  return createdDevices(db, applyId)
    .selectAll('device')
    .orderBy('device_apply_entry.seq')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
}

/** Which of these IotIds any device (of any account, deleted or not) already has. */
export async function takenIotIds(db: Db, iotIds: readonly string[]): Promise<Set<string>> {
  const taken = new Set<string>();
  for (let i = 0; i < iotIds.length; i += 500) {
    const rows = await db.selectFrom('device').select('iot_id').where('iot_id', 'in', iotIds.slice(i, i + 500)).execute();
    for (const r of rows) taken.add(r.iot_id);
  }
  return taken;
}

