import type { Db } from '../db.js';
import { cachedHotQuery } from '../hot-query.js';

export interface AccessKeyRow {
  accessKeyId: string;
  accountId: string;
  secretEnc: string;
  keyStatus: 'Active' | 'Inactive';
  accountStatus: 'Active' | 'Inactive';
  createdAt: number;
}

export interface InstanceRow {
  id: string;
  accountId: string;
  instanceId: string;
  isDefault: boolean;
  createdAt: number;
}

export async function insertAccount(db: Db, row: { id: string; name: string; createdAt: number }): Promise<void> {
  await db.insertInto('account').values({ id: row.id, name: row.name, status: 'Active', created_at: row.createdAt }).execute();
}

export async function findAccount(db: Db, accountId: string): Promise<{ id: string; name: string } | undefined> {
  return db.selectFrom('account').select(['id', 'name']).where('id', '=', accountId).executeTakeFirst();
}

export async function listAccounts(db: Db): Promise<{ id: string; name: string; status: string; createdAt: number }[]> {
  const rows = await db.selectFrom('account').select(['id', 'name', 'status', 'created_at']).orderBy('created_at').execute();
  return rows.map((r) => ({ id: r.id, name: r.name, status: r.status, createdAt: r.created_at }));
}

export async function countAccounts(db: Db): Promise<number> {
  const row = await db.selectFrom('account').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Claims the one-time generation of the bootstrap account: true for exactly one caller, however many
 * instances start at once on a fresh database. A row in id_sequence is the marker, so no migration is needed;
 * a concurrent claimer waits for the winner's transaction and then inserts nothing.
 */
export async function claimBootstrap(db: Db, at: number): Promise<boolean> {
  const result = await db
    .insertInto('id_sequence')
    .values({ name: 'bootstrap_account', value: at })
    .onConflict((oc) => oc.column('name').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}

export async function insertAccessKey(
  db: Db,
  row: { accessKeyId: string; accountId: string; secretEnc: string; createdAt: number },
): Promise<void> {
  await db
    .insertInto('access_key')
    .values({
      access_key_id: row.accessKeyId,
      account_id: row.accountId,
      secret_enc: row.secretEnc,
      status: 'Active',
      created_at: row.createdAt,
    })
    .execute();
}

export async function updateAccessKeySecret(db: Db, accessKeyId: string, secretEnc: string): Promise<void> {
  await db.updateTable('access_key').set({ secret_enc: secretEnc, status: 'Active' }).where('access_key_id', '=', accessKeyId).execute();
}

// On every signed request (rpc-protocol §10 step 5). Cached while neither table changes: a key disabled
// or re-keyed, here or by the CLI in another process, is read again on the very next request.
const accessKeyQuery = cachedHotQuery(['access_key', 'account'], (db: Db, accessKeyId: string) =>
  db
    .selectFrom('access_key')
    .innerJoin('account', 'account.id', 'access_key.account_id')
    .select([
      'access_key.access_key_id',
      'access_key.account_id',
      'access_key.secret_enc',
      'access_key.status as key_status',
      'account.status as account_status',
      'access_key.created_at',
    ])
    .where('access_key.access_key_id', '=', accessKeyId),
);

export async function findAccessKey(db: Db, accessKeyId: string): Promise<AccessKeyRow | undefined> {
  const [row] = await accessKeyQuery(db, accessKeyId);
  if (row === undefined) return undefined;
  return {
    accessKeyId: row.access_key_id,
    accountId: row.account_id,
    secretEnc: row.secret_enc,
    keyStatus: row.key_status,
    accountStatus: row.account_status,
    createdAt: row.created_at,
  };
}

export async function listAccessKeys(db: Db, accountId: string): Promise<{ accessKeyId: string; status: string; createdAt: number }[]> {
  const rows = await db
    .selectFrom('access_key')
    .select(['access_key_id', 'status', 'created_at'])
    .where('account_id', '=', accountId)
    .orderBy('created_at')
    .execute();
  return rows.map((r) => ({ accessKeyId: r.access_key_id, status: r.status, createdAt: r.created_at }));
}

export async function setAccessKeyStatus(db: Db, accessKeyId: string, status: 'Active' | 'Inactive'): Promise<boolean> {
  const result = await db.updateTable('access_key').set({ status }).where('access_key_id', '=', accessKeyId).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function insertInstance(db: Db, row: InstanceRow): Promise<void> {
  await db
    .insertInto('iot_instance')
    .values({
      id: row.id,
      account_id: row.accountId,
      instance_id: row.instanceId,
      is_default: row.isDefault ? 1 : 0,
      created_at: row.createdAt,
    })
    .execute();
}

const instanceColumns = ['id', 'account_id', 'instance_id', 'is_default', 'created_at'] as const;

function toInstance(r: { id: string; account_id: string; instance_id: string; is_default: number; created_at: number }): InstanceRow {
  return { id: r.id, accountId: r.account_id, instanceId: r.instance_id, isDefault: r.is_default === 1, createdAt: r.created_at };
}

export async function findInstance(db: Db, accountId: string, instanceId: string): Promise<InstanceRow | undefined> {
  const row = await db
    .selectFrom('iot_instance')
    .select(instanceColumns)
    .where('account_id', '=', accountId)
    .where('instance_id', '=', instanceId)
    .executeTakeFirst();
  return row && toInstance(row);
}

export async function findDefaultInstance(db: Db, accountId: string): Promise<InstanceRow | undefined> {
  const row = await db
    .selectFrom('iot_instance')
    .select(instanceColumns)
    .where('account_id', '=', accountId)
    .where('is_default', '=', 1)
    .executeTakeFirst();
  return row && toInstance(row);
}

export async function listInstances(db: Db, accountId: string): Promise<InstanceRow[]> {
  const rows = await db.selectFrom('iot_instance').select(instanceColumns).where('account_id', '=', accountId).orderBy('created_at').execute();
  return rows.map(toInstance);
}

/**
 * Takes the account's row lock until the transaction ends, so count-then-insert rules of one account (1,000
 * groups, 10 groups per device) cannot both pass in two concurrent PostgreSQL transactions. On SQLite the
 * write makes the transaction the writer at once; writers are serialised there anyway.
 */
export async function lockAccount(db: Db, accountId: string): Promise<void> {
  await db.updateTable('account').set((eb) => ({ status: eb.ref('status') })).where('id', '=', accountId).execute();
}
