import { sql } from 'kysely';
import type { Db } from '../db.js';
import { hotQuery } from '../hot-query.js';
import type { DeviceTable } from '../schema.js';

/** What an MQTT sign-in needs to know about a device (device-protocol.md §2). */
export interface SignInRow {
  id: string;
  iot_id: string;
  account_id: string;
  instance_id: string;
  product_id: string;
  product_key: string;
  device_name: string;
  device_secret_enc: string;
  status: DeviceTable['status'];
}

const signInQuery = hotQuery((db: Db, productKey: string, deviceName: string) =>
  db
    .selectFrom('device')
    .innerJoin('product', 'product.id', 'device.product_id')
    .select([
      'device.id',
      'device.iot_id',
      'device.account_id',
      'device.instance_id',
      'device.product_id',
      'product.product_key',
      'device.device_name',
      'device.device_secret_enc',
      'device.status',
    ])
    .where('product.product_key', '=', productKey)
    .where('device.device_name', '=', deviceName)
    .where('device.deleted_at', 'is', null)
    .where('product.deleted_at', 'is', null),
);

/** The live device `deviceName` of the product `productKey` (product keys are unique across accounts). */
export async function findSignInRow(db: Db, productKey: string, deviceName: string): Promise<SignInRow | undefined> {
  return (await signInQuery(db, productKey, deviceName))[0] as SignInRow | undefined;
}

export type PresenceChange =
  | { readonly deviceId: string; readonly online: true; readonly at: number; readonly ip: string | undefined }
  | { readonly deviceId: string; readonly online: false; readonly at: number };

/**
 * Applies sign-ins and sign-outs in order (states.md §5 D2, D3, D5). Guarded: a disabled or deleted device
 * never turns ONLINE, and only an ONLINE device turns OFFLINE. The first sign-in sets the activation time.
 */
export async function applyPresence(db: Db, changes: readonly PresenceChange[]): Promise<void> {
  // Plain SQL rather than the query builder: a connect storm runs these once per device, and building and
  // compiling a Kysely query per row costs more garbage than the statement itself (bench/RESULTS.md, connections).
  for (const change of changes) {
    if (change.online) {
      await sql`update device set status = 'ONLINE', status_at = ${change.at}, online_at = ${change.at}, ip_address = ${change.ip ?? null},
        activated_at = coalesce(activated_at, ${change.at})
        where id = ${change.deviceId} and status in ('UNACTIVE', 'OFFLINE', 'ONLINE') and deleted_at is null`.execute(db);
    } else {
      await sql`update device set status = 'OFFLINE', status_at = ${change.at} where id = ${change.deviceId} and status = 'ONLINE'`.execute(db);
    }
  }
}

/**
 * At start: no session survives a restart, so a device left ONLINE by a process that died (kill -9) is
 * OFFLINE now. One process owns every session while Flotilla runs as a single instance; several instances
 * on one database will need per-instance session ownership instead.
 */
export async function markEveryDeviceOffline(db: Db, at: number): Promise<number> {
  const result = await db.updateTable('device').set({ status: 'OFFLINE', status_at: at }).where('status', '=', 'ONLINE').executeTakeFirst();
  return Number(result.numUpdatedRows);
}
