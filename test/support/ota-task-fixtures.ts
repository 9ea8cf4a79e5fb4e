import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Insertable } from 'kysely';
import { type Db, openStorage, type Storage } from '../../src/storage/db.js';
import type { OtaJobTable, OtaTaskStatus } from '../../src/storage/schema.js';
import { insertJob, type NewOtaTask } from '../../src/storage/repos/ota-task-repo.js';
import { createTasks, newOtaId } from '../../src/domain/ota-task/create-tasks.js';
import { createPostgresDatabase, type TestDialect } from './dialects.js';

/** A migrated database of its own for one test file, with the rows a job needs (no server, no API). */
export async function openRolloutStorage(dialect: TestDialect): Promise<{ storage: Storage; close(): Promise<void> }> {
  if (dialect === 'postgres') {
    const pg = await createPostgresDatabase();
    const storage = await openStorage({ databaseUrl: pg.url, dataDir: tmpdir() });
    return { storage, close: async () => { await storage.close(); await pg.drop(); } };
  }
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-rollout-'));
  const storage = await openStorage({ databaseUrl: undefined, dataDir: dir });
  return { storage, close: async () => { await storage.close(); rmSync(dir, { recursive: true, force: true }); } };
}

export interface RolloutFleet {
  readonly accountId: string;
  readonly instanceId: string;
  readonly productId: string;
  readonly firmwareId: string;
  readonly deviceIds: string[];
}

const T = 1_790_000_000_000;

/** One account, instance, product, firmware and `devices` devices. */
export async function seedFleet(db: Db, devices: number): Promise<RolloutFleet> {
  const accountId = 'acc1';
  const instanceId = 'inst1';
  const productId = 'prod1';
  const firmwareId = 'fw1';
  await db.insertInto('account').values({ id: accountId, name: 'a', status: 'Active', created_at: T }).execute();
  await db.insertInto('iot_instance').values({ id: instanceId, account_id: accountId, instance_id: 'iot-default', is_default: 1, created_at: T }).execute();
  await db.insertInto('product').values({
    id: productId, account_id: accountId, instance_id: instanceId, product_key: 'a1prod00001', product_name: 'p',
    product_secret_enc: 'x', node_type: 0, data_format: 1, auth_type: 'secret', id2: 0, net_type: 'WIFI', validate_type: 1,
    commodity_code: 'iothub_senior', description: null, protocol_type: null, category_key: null, product_status: 'DEVELOPMENT_STATUS',
    dynamic_register: 0, created_at: T, modified_at: T, deleted_at: null,
  }).execute();
  await db.insertInto('firmware').values({
    firmware_id: firmwareId, account_id: accountId, instance_id: instanceId, product_id: productId, module_name: 'default',
    firmware_name: 'fw', firmware_desc: null, type: 0, src_version: null, dest_version: '2.0', sign_method: 'MD5', status: -1,
    verify_progress: 0, udi: null, multi_file: 0, created_at: T, modified_at: T,
  }).execute();
  const deviceIds: string[] = [];
  for (let i = 0; i < devices; i++) {
    const id = `dev${i}`;
    deviceIds.push(id);
    await db.insertInto('device').values({
      id, iot_id: `iot${i}`, account_id: accountId, instance_id: instanceId, product_id: productId, device_name: `d${i}`,
      device_secret_enc: 'x', nickname: null, status: 'ONLINE', status_at: T, created_at: T, modified_at: T,
      activated_at: T, online_at: T, ip_address: null, deleted_at: null,
    }).execute();
  }
  return { accountId, instanceId, productId, firmwareId, deviceIds };
}

let jobSeq = 0;

/** A job row with Alibaba's defaults (ota-api §1.7); `overrides` for the options under test. */
export async function seedJob(db: Db, fleet: RolloutFleet, overrides: Partial<Insertable<OtaJobTable>> = {}): Promise<string> {
  const id = `job${++jobSeq}`;
  await insertJob(db, {
    id, account_id: fleet.accountId, instance_id: fleet.instanceId, firmware_id: fleet.firmwareId, product_id: fleet.productId,
    module_name: 'default', dest_version: '2.0', job_type: 'UPGRADE_FIRMWARE', selection_type: 'STATIC', target_selection: 'ALL',
    gray_percent: null, src_versions: null, group_id: null, group_type: null, dn_list_object_id: null, schedule_at: null,
    schedule_finish_at: null, retry_interval: null, retry_count: null, timeout_minutes: null, max_per_minute: 10_000,
    overwrite_mode: 1, multi_module: 0, need_push: 1, need_confirm: 0, download_protocol: 'HTTPS', dynamic_mode: null, tags: null,
    status: 'IN_PROGRESS', started_at: T, ended_at: null, created_at: T, modified_at: T, tasks_complete: 1, fill_cursor: null,
    pace_tat_us: null, count_confirm: 0, count_queued: 0, count_notified: 0, count_in_progress: 0, count_succeeded: 0,
    count_failed: 0, count_canceled: 0,
    ...overrides,
  });
  return id;
}

export interface TaskSeed {
  readonly jobId: string;
  readonly deviceId: string;
  readonly status: OtaTaskStatus;
  readonly module?: string;
  readonly timeoutMinutes?: number | null;
  readonly retryLimit?: number;
  readonly retryIntervalMs?: number;
  readonly at?: number;
}

export function newTask(fleet: RolloutFleet, seed: TaskSeed): NewOtaTask {
  const at = seed.at ?? T;
  return {
    id: newOtaId(at), job_id: seed.jobId, firmware_id: fleet.firmwareId, device_id: seed.deviceId, module_name: seed.module ?? 'default',
    src_version: '1.0', dest_version: '2.0', status: seed.status, task_desc: seed.status === 'FAILED' ? 'device has an unfinished task' : '',
    timeout_minutes: seed.timeoutMinutes ?? null, retry_limit: seed.retryLimit ?? 0, retry_interval_ms: seed.retryIntervalMs ?? 0, created_at: at,
  };
}

/** Inserts one task directly in `status` (a test shortcut: the engine creates tasks in CONFIRM/QUEUED/FAILED only). */
export async function seedTask(db: Db, fleet: RolloutFleet, seed: TaskSeed): Promise<string> {
  const task = newTask(fleet, seed);
  const { inserted } = await createTasks(db, [task]);
  if (inserted.length !== 1) throw new Error('task not inserted');
  return task.id;
}

export const BASE_TIME = T;
