import { type Kysely, sql } from 'kysely';

// The rollout engine's data (issue 6; states.md §3–§4, ota-api.md §3–§4): jobs, one task per device × job,
// and the history of every task transition. Design notes: src/domain/ota-task/task-transitions.ts.
// Partial indexes are plain SQL because both databases accept the same text.

const ACTIVE = `('CONFIRM', 'QUEUED', 'NOTIFIED', 'IN_PROGRESS')`;

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('ota_job')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('account.id'))
    .addColumn('instance_id', 'text', (c) => c.notNull().references('iot_instance.id'))
    .addColumn('firmware_id', 'text', (c) => c.notNull().references('firmware.firmware_id'))
    .addColumn('product_id', 'text', (c) => c.notNull().references('product.id'))
    // The firmware's module and versions, copied so matching and pushes never join firmware.
    .addColumn('module_name', 'text', (c) => c.notNull())
    .addColumn('dest_version', 'text', (c) => c.notNull())
    .addColumn('job_type', 'text', (c) => c.notNull())
    .addColumn('selection_type', 'text', (c) => c.notNull())
    .addColumn('target_selection', 'text', (c) => c.notNull())
    .addColumn('gray_percent', 'text')
    .addColumn('src_versions', 'text') // JSON array of strings
    .addColumn('group_id', 'text')
    .addColumn('group_type', 'text')
    .addColumn('dn_list_object_id', 'text')
    .addColumn('schedule_at', 'bigint')
    .addColumn('schedule_finish_at', 'bigint')
    .addColumn('retry_interval', 'integer')
    .addColumn('retry_count', 'integer')
    .addColumn('timeout_minutes', 'integer')
    .addColumn('max_per_minute', 'integer', (c) => c.notNull())
    .addColumn('overwrite_mode', 'integer', (c) => c.notNull())
    .addColumn('multi_module', 'integer', (c) => c.notNull())
    .addColumn('need_push', 'integer', (c) => c.notNull())
    .addColumn('need_confirm', 'integer', (c) => c.notNull())
    .addColumn('download_protocol', 'text', (c) => c.notNull())
    .addColumn('dynamic_mode', 'integer')
    .addColumn('tags', 'text') // JSON array of {Key, Value}
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('started_at', 'bigint')
    .addColumn('ended_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('modified_at', 'bigint', (c) => c.notNull())
    // Task materialisation of big jobs: 0 while background batches still add tasks (cursor = last device row id).
    .addColumn('tasks_complete', 'integer', (c) => c.notNull())
    .addColumn('fill_cursor', 'text')
    // Pacing (MaximumPerMinute): GCRA "theoretical arrival time" in microseconds — a token bucket kept in one
    // number, advanced by the claiming transaction, so it survives restarts and is shared by instances.
    .addColumn('pace_tat_us', 'bigint')
    // Tasks per status, changed in the same transaction as every task insert and transition.
    .addColumn('count_confirm', 'bigint', (c) => c.notNull())
    .addColumn('count_queued', 'bigint', (c) => c.notNull())
    .addColumn('count_notified', 'bigint', (c) => c.notNull())
    .addColumn('count_in_progress', 'bigint', (c) => c.notNull())
    .addColumn('count_succeeded', 'bigint', (c) => c.notNull())
    .addColumn('count_failed', 'bigint', (c) => c.notNull())
    .addColumn('count_canceled', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('ota_job_by_firmware').on('ota_job').columns(['firmware_id', 'created_at', 'id']).execute();
  await db.schema.createIndex('ota_job_listing').on('ota_job').columns(['instance_id', 'created_at', 'id']).execute();
  // states.md I12: at most one running dynamic policy per firmware.
  await sql`CREATE UNIQUE INDEX ota_job_one_dynamic ON ota_job (firmware_id) WHERE selection_type = 'DYNAMIC' AND status = 'IN_PROGRESS'`.execute(db);
  // Scheduler scans: jobs to start (J3) and jobs to force-end (J6, T23).
  await sql`CREATE INDEX ota_job_start_due ON ota_job (schedule_at) WHERE status = 'PLANNED'`.execute(db);
  await sql`CREATE INDEX ota_job_finish_due ON ota_job (schedule_finish_at) WHERE status = 'IN_PROGRESS' AND schedule_finish_at IS NOT NULL`.execute(db);
  await sql`CREATE INDEX ota_job_filling ON ota_job (created_at) WHERE tasks_complete = 0`.execute(db);

  await db.schema
    .createTable('ota_task')
    // The public TaskId, time-ordered: ORDER BY id is creation order (ota-api §1.6) and inserts append.
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('job_id', 'text', (c) => c.notNull().references('ota_job.id'))
    .addColumn('firmware_id', 'text', (c) => c.notNull())
    .addColumn('device_id', 'text', (c) => c.notNull().references('device.id'))
    .addColumn('module_name', 'text', (c) => c.notNull())
    .addColumn('src_version', 'text')
    .addColumn('dest_version', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    // The status before the last change: lets one guarded UPDATE … RETURNING report where each task came from.
    .addColumn('prev_status', 'text')
    // Where the task started (T1/T2); history replays from here.
    .addColumn('created_status', 'text', (c) => c.notNull())
    .addColumn('progress', 'integer', (c) => c.notNull()) // hundredths of a percent: 0–10000 → "0.00"–"100.00"
    .addColumn('task_desc', 'text', (c) => c.notNull())
    .addColumn('timeout_minutes', 'integer') // the job's TimeoutInMinutes when the task was created
    .addColumn('first_progress_at', 'bigint') // T0
    .addColumn('timeout_at', 'bigint') // T0 + timeout while active; null otherwise
    .addColumn('retry_limit', 'integer', (c) => c.notNull()) // 0 = no automatic retry policy
    .addColumn('retry_interval_ms', 'bigint', (c) => c.notNull())
    .addColumn('retry_count', 'integer', (c) => c.notNull()) // automatic retries scheduled so far
    .addColumn('retry_pending', 'integer', (c) => c.notNull())
    .addColumn('retry_due_at', 'bigint')
    .addColumn('repush_due', 'integer', (c) => c.notNull()) // a fired retry waits for its push
    .addColumn('push_count', 'integer', (c) => c.notNull())
    .addColumn('last_push_at', 'bigint')
    .addColumn('history_seq', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('modified_at', 'bigint', (c) => c.notNull())
    .execute();
  // ListOTATaskByJob: a status filter and the order are one index range (shared/BENCHMARKS.md) …
  await db.schema.createIndex('ota_task_job_status').on('ota_task').columns(['job_id', 'status', 'id']).execute();
  // … and without a filter, the order alone.
  await db.schema.createIndex('ota_task_job').on('ota_task').columns(['job_id', 'id']).execute();
  // Per device: ListOTAUnfinishedTaskByDevice, ListOTAJobByDevice, CancelOTATaskByDevice, DeleteDevice, matching.
  await db.schema.createIndex('ota_task_device').on('ota_task').columns(['device_id', 'firmware_id']).execute();
  // states.md I2: at most one active task per device and module, whatever the code does.
  await sql`CREATE UNIQUE INDEX ota_task_one_active ON ota_task (device_id, module_name) WHERE status IN ${sql.raw(ACTIVE)}`.execute(db);
  // Durable timers: due scans touch only tasks with a running clock.
  await sql`CREATE INDEX ota_task_timeout_due ON ota_task (timeout_at) WHERE timeout_at IS NOT NULL`.execute(db);
  await sql`CREATE INDEX ota_task_retry_due ON ota_task (retry_due_at) WHERE retry_pending = 1`.execute(db);
  await sql`CREATE INDEX ota_task_repush_due ON ota_task (job_id, id) WHERE repush_due = 1`.execute(db);

  await db.schema
    .createTable('ota_task_history')
    .addColumn('task_id', 'text', (c) => c.notNull().references('ota_task.id'))
    .addColumn('seq', 'integer', (c) => c.notNull()) // the task's history_seq after the transition
    .addColumn('from_status', 'text', (c) => c.notNull())
    .addColumn('to_status', 'text', (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('rule', 'text', (c) => c.notNull()) // states.md §4.5 row, e.g. T7
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('detail', 'text')
    .addPrimaryKeyConstraint('ota_task_history_pk', ['task_id', 'seq'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('the rollout migration is not reversible');
}
