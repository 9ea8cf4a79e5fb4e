import type { Kysely } from 'kysely';

// Device gateway (device-protocol.md): the last OTA progress each device reported per module (kept until the
// rollout engine owns tasks; the engine reads it), and the MQTT download streams handed out in pushes
// (§4.2 streamId/streamFileId → the file a device may fetch block by block over `thing/file/download`).

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('device_ota_progress')
    .addColumn('device_id', 'text', (c) => c.notNull().references('device.id'))
    .addColumn('module_name', 'text', (c) => c.notNull())
    .addColumn('step', 'integer', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('reported_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('device_ota_progress_pk', ['device_id', 'module_name'])
    .execute();

  await db.schema
    .createTable('file_stream')
    .addColumn('stream_id', 'bigint', (c) => c.primaryKey())
    .addColumn('device_id', 'text', (c) => c.notNull().references('device.id'))
    .addColumn('file_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('file_stream_expiry').on('file_stream').column('expires_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('file_stream').execute();
  await db.schema.dropTable('device_ota_progress').execute();
}
