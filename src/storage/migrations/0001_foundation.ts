import { type Kysely, sql } from 'kysely';

// Migrations take Kysely<any>, import nothing from the app and are never edited once merged.
// Column types are chosen to mean the same on SQLite and PostgreSQL: text, integer, bigint (epoch ms).

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('account')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('access_key')
    .addColumn('access_key_id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('account.id'))
    .addColumn('secret_enc', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('access_key_account').on('access_key').column('account_id').execute();

  await db.schema
    .createTable('iot_instance')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('account.id'))
    .addColumn('instance_id', 'text', (c) => c.notNull())
    .addColumn('is_default', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('iot_instance_public_id', ['account_id', 'instance_id'])
    .execute();
  await db.schema
    .createIndex('iot_instance_one_default')
    .on('iot_instance')
    .column('account_id')
    .unique()
    .where(sql.ref('is_default'), '=', 1)
    .execute();

  await db.schema
    .createTable('api_nonce')
    .addColumn('access_key_id', 'text', (c) => c.notNull())
    .addColumn('nonce', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('api_nonce_pk', ['access_key_id', 'nonce'])
    .execute();
  await db.schema.createIndex('api_nonce_expiry').on('api_nonce').column('expires_at').execute();

  await db.schema
    .createTable('id_sequence')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'bigint', (c) => c.notNull())
    .execute();
  // fleet-api §2.1: ApplyId is an increasing integer; 7-digit like Alibaba's samples.
  await db.insertInto('id_sequence').values({ name: 'apply_id', value: 1_300_000 }).execute();

  await db.schema
    .createTable('product')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('account.id'))
    .addColumn('instance_id', 'text', (c) => c.notNull().references('iot_instance.id'))
    .addColumn('product_key', 'text', (c) => c.notNull().unique())
    .addColumn('product_name', 'text', (c) => c.notNull())
    .addColumn('product_secret_enc', 'text', (c) => c.notNull())
    .addColumn('node_type', 'integer', (c) => c.notNull())
    .addColumn('data_format', 'integer', (c) => c.notNull())
    .addColumn('auth_type', 'text', (c) => c.notNull())
    .addColumn('id2', 'integer', (c) => c.notNull())
    .addColumn('net_type', 'text', (c) => c.notNull())
    .addColumn('validate_type', 'integer', (c) => c.notNull())
    .addColumn('commodity_code', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('protocol_type', 'text')
    .addColumn('category_key', 'text')
    .addColumn('product_status', 'text', (c) => c.notNull())
    .addColumn('dynamic_register', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('modified_at', 'bigint', (c) => c.notNull())
    .addColumn('deleted_at', 'bigint')
    .execute();
  // Deleted products stay as tombstones so a ProductKey is never issued twice (fleet-api §3.5).
  await db.schema
    .createIndex('product_name_unique')
    .on('product')
    .columns(['instance_id', 'product_name'])
    .unique()
    .where(sql.ref('deleted_at'), 'is', null)
    .execute();
  await db.schema.createIndex('product_listing').on('product').columns(['instance_id', 'created_at', 'id']).execute();

  await db.schema
    .createTable('device')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('iot_id', 'text', (c) => c.notNull().unique())
    .addColumn('account_id', 'text', (c) => c.notNull().references('account.id'))
    .addColumn('instance_id', 'text', (c) => c.notNull().references('iot_instance.id'))
    .addColumn('product_id', 'text', (c) => c.notNull().references('product.id'))
    .addColumn('device_name', 'text', (c) => c.notNull())
    .addColumn('device_secret_enc', 'text', (c) => c.notNull())
    .addColumn('nickname', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('status_at', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('modified_at', 'bigint', (c) => c.notNull())
    .addColumn('activated_at', 'bigint')
    .addColumn('online_at', 'bigint')
    .addColumn('ip_address', 'text')
    .addColumn('deleted_at', 'bigint')
    .execute();
  // Deleted devices stay (OTA task history refers to them); a name can be registered again (fleet-api §6.3).
  await db.schema
    .createIndex('device_name_unique')
    .on('device')
    .columns(['product_id', 'device_name'])
    .unique()
    .where(sql.ref('deleted_at'), 'is', null)
    .execute();
  await db.schema.createIndex('device_listing').on('device').columns(['product_id', 'created_at', 'id']).execute();
  await db.schema.createIndex('device_by_status').on('device').columns(['instance_id', 'status', 'created_at']).execute();

  await db.schema
    .createTable('device_module_version')
    .addColumn('device_id', 'text', (c) => c.notNull().references('device.id'))
    .addColumn('module_name', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('reported_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('device_module_version_pk', ['device_id', 'module_name'])
    .execute();

  await db.schema
    .createTable('device_group')
    .addColumn('group_id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('account.id'))
    .addColumn('instance_id', 'text', (c) => c.notNull().references('iot_instance.id'))
    .addColumn('group_name', 'text', (c) => c.notNull())
    .addColumn('group_desc', 'text')
    .addColumn('parent_group_id', 'text', (c) => c.references('device_group.group_id'))
    .addColumn('depth', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('modified_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('device_group_name_unique', ['instance_id', 'group_name'])
    .execute();
  await db.schema.createIndex('device_group_parent').on('device_group').column('parent_group_id').execute();

  await db.schema
    .createTable('device_group_member')
    .addColumn('group_id', 'text', (c) => c.notNull().references('device_group.group_id'))
    .addColumn('device_id', 'text', (c) => c.notNull().references('device.id'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('device_group_member_pk', ['group_id', 'device_id'])
    .execute();
  await db.schema.createIndex('device_group_member_device').on('device_group_member').column('device_id').execute();

  await db.schema
    .createTable('device_prop')
    .addColumn('device_id', 'text', (c) => c.notNull().references('device.id'))
    .addColumn('prop_key', 'text', (c) => c.notNull())
    .addColumn('prop_value', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('device_prop_pk', ['device_id', 'prop_key'])
    .execute();

  await db.schema
    .createTable('device_apply')
    .addColumn('apply_id', 'bigint', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('account.id'))
    .addColumn('instance_id', 'text', (c) => c.notNull().references('iot_instance.id'))
    .addColumn('product_id', 'text', (c) => c.notNull().references('product.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('modified_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('device_apply_entry')
    .addColumn('apply_id', 'bigint', (c) => c.notNull().references('device_apply.apply_id'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('device_name', 'text', (c) => c.notNull())
    .addColumn('nickname', 'text')
    .addColumn('error_msg', 'text')
    .addColumn('device_id', 'text')
    .addPrimaryKeyConstraint('device_apply_entry_pk', ['apply_id', 'seq'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('the foundation migration is not reversible');
}
