import type { Kysely } from 'kysely';

// Firmware packages: upload slots issued by GenerateOTAUploadURL / GenerateDeviceNameListURL, the objects
// uploaded through them, OTA modules, firmware and the files of each firmware (ota-api §2, §5, §6).

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('upload_slot')
    .addColumn('key_prefix', 'text', (c) => c.primaryKey())
    .addColumn('object_key', 'text', (c) => c.notNull().unique())
    .addColumn('account_id', 'text', (c) => c.notNull().references('account.id'))
    .addColumn('instance_id', 'text', (c) => c.notNull().references('iot_instance.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('max_bytes', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('upload_slot_expiry').on('upload_slot').column('expires_at').execute();

  await db.schema
    .createTable('stored_object')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('object_key', 'text', (c) => c.notNull().unique())
    .addColumn('account_id', 'text', (c) => c.notNull().references('account.id'))
    .addColumn('instance_id', 'text', (c) => c.notNull().references('iot_instance.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('blob_id', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('md5', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('content_type', 'text')
    .addColumn('uploaded_at', 'bigint', (c) => c.notNull())
    .addColumn('claimed_by', 'text')
    .addColumn('claimed_at', 'bigint')
    .execute();
  await db.schema.createIndex('stored_object_unclaimed').on('stored_object').columns(['claimed_by', 'uploaded_at']).execute();

  await db.schema
    .createTable('ota_module')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('product_id', 'text', (c) => c.notNull().references('product.id'))
    .addColumn('module_name', 'text', (c) => c.notNull())
    // ota-api §1.8: unique within the product case-insensitively; the case as created is kept.
    .addColumn('module_name_folded', 'text', (c) => c.notNull())
    .addColumn('alias_name', 'text')
    .addColumn('description', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('modified_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('ota_module_name_unique', ['product_id', 'module_name_folded'])
    .execute();

  await db.schema
    .createTable('firmware')
    .addColumn('firmware_id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('account.id'))
    .addColumn('instance_id', 'text', (c) => c.notNull().references('iot_instance.id'))
    .addColumn('product_id', 'text', (c) => c.references('product.id'))
    .addColumn('module_name', 'text', (c) => c.notNull())
    .addColumn('firmware_name', 'text', (c) => c.notNull())
    .addColumn('firmware_desc', 'text')
    .addColumn('type', 'integer', (c) => c.notNull())
    .addColumn('src_version', 'text')
    .addColumn('dest_version', 'text', (c) => c.notNull())
    .addColumn('sign_method', 'text', (c) => c.notNull())
    .addColumn('status', 'integer', (c) => c.notNull())
    .addColumn('verify_progress', 'integer', (c) => c.notNull())
    .addColumn('udi', 'text')
    .addColumn('multi_file', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('modified_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('firmware_name_unique', ['instance_id', 'firmware_name'])
    .execute();
  await db.schema.createIndex('firmware_listing').on('firmware').columns(['instance_id', 'created_at', 'firmware_id']).execute();
  await db.schema.createIndex('firmware_by_product').on('firmware').columns(['product_id', 'module_name']).execute();

  await db.schema
    .createTable('firmware_file')
    .addColumn('firmware_id', 'text', (c) => c.notNull().references('firmware.firmware_id'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    // The download handle in signed URLs: opaque, unguessable, one per file.
    .addColumn('file_id', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text')
    .addColumn('object_id', 'text', (c) => c.notNull().references('stored_object.id'))
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('sign_value', 'text', (c) => c.notNull())
    .addColumn('file_md5', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('firmware_file_pk', ['firmware_id', 'seq'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('the firmware migration is not reversible');
}
