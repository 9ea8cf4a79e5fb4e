import { type Expression, type Insertable, type Selectable, type SqlBool, sql } from 'kysely';
import type { Db } from '../db.js';
import type { OtaJobTable, OtaTaskHistoryTable, OtaTaskStatus, OtaTaskTable } from '../schema.js';

export type OtaJobRow = Selectable<OtaJobTable>;
export type OtaTaskRow = Selectable<OtaTaskTable>;
export type OtaTaskHistoryRow = Selectable<OtaTaskHistoryTable>;

/**
 * Conditions a rule adds to its from-states, evaluated in the same guarded UPDATE (states.md §4.5 "Guard").
 * Job guards read the task's job with a correlated EXISTS (a primary-key probe per task).
 */
export type TaskGuard =
  | 'retryRemains' // no retry pending and retries used < the job's RetryCount (0 without a retry policy)
  | 'noRetryLeft' // no retry pending and every allowed retry used (always, without a policy)
  | 'retryDue' // a retry is pending and its due time has come
  | 'timeoutDue' // the timeout clock runs and has run out
  | 'jobStarted' // the job is not PLANNED
  | 'jobPushable' // … and has NeedPush=true
  | 'jobNeedsConfirm'
  | 'jobSkipsConfirm'
  | 'jobNotCanceled'
  | 'slotFree'; // no other active task holds the task's device and module (I2; the unique index is the backstop)

/** What a rule writes besides the status. Each key is one independent column group. */
export interface TaskEffects {
  /** `step`: the reported 1–100 step; `full`: 100.00; `zero`: 0.00. */
  readonly progress?: 'step' | 'full' | 'zero';
  /** `start`: T0 and its deadline if unset; `stop`: deadline dropped (T0 kept); `clear`: both dropped. */
  readonly timeoutClock?: 'start' | 'stop' | 'clear';
  /** Write TaskDesc: a template the domain resolves per task (`''` clears it). */
  readonly desc?: string;
  /** `schedule`: pending, due after the interval, one retry used; `fire`: no longer pending, push due; `drop`; `reset`. */
  readonly retry?: 'schedule' | 'fire' | 'drop' | 'reset';
  /** A push went out (first push or re-push). */
  readonly countPush?: boolean;
}

/** One row of the transition table, in storage terms. */
export interface TaskRuleSpec {
  readonly rule: string;
  readonly event: string;
  readonly from: readonly OtaTaskStatus[];
  /** undefined = status unchanged. */
  readonly to: OtaTaskStatus | undefined;
  readonly guards: readonly TaskGuard[];
  readonly effects: TaskEffects;
  /** Write a history row (always for a status change; for same-state rules only where it matters). */
  readonly record: boolean;
}

/** A task and the event values that differ per task. */
export interface TaskTarget {
  readonly id: string;
  readonly step?: number;
  readonly desc?: string;
  readonly detail?: string;
}

export interface AppliedTask {
  readonly id: string;
  readonly jobId: string;
  readonly deviceId: string;
  readonly moduleName: string;
  readonly from: OtaTaskStatus;
  readonly to: OtaTaskStatus;
  readonly rule: string;
}

const CHUNK = 500;
const ACTIVE_SQL_TEXT = `status IN ('CONFIRM', 'QUEUED', 'NOTIFIED', 'IN_PROGRESS')`;
const ACTIVE_SQL = sql<SqlBool>`${sql.raw(ACTIVE_SQL_TEXT)}`;

/**
 * Applies one rule to the targets as guarded UPDATEs (`… WHERE id IN (…) AND status IN (from) AND guards`),
 * one per chunk and per distinct (step, desc); `prev_status = status` in the same statement lets RETURNING
 * say where each moved task came from. Writes the history rows. Call inside a transaction.
 */
export async function applyTaskRule(db: Db, spec: TaskRuleSpec, targets: readonly TaskTarget[], at: number): Promise<AppliedTask[]> {
  const applied: AppliedTask[] = [];
  for (const group of groupByValues(targets)) {
    for (let i = 0; i < group.length; i += CHUNK) {
      const chunk = group.slice(i, i + CHUNK);
      const rows = await updateChunk(db, spec, chunk, at);
      if (rows.length === 0) continue;
      const details = new Map(chunk.map((t) => [t.id, t.detail]));
      if (spec.record) {
        await db
          .insertInto('ota_task_history')
          .values(rows.map((r) => ({
            task_id: r.id, seq: r.history_seq, from_status: r.prev_status!, to_status: r.status,
            event: spec.event, rule: spec.rule, at, detail: details.get(r.id) ?? null,
          })))
          .execute();
      }
      for (const r of rows) {
        applied.push({ id: r.id, jobId: r.job_id, deviceId: r.device_id, moduleName: r.module_name, from: r.prev_status!, to: r.status, rule: spec.rule });
      }
    }
  }
  return applied;
}

function groupByValues(targets: readonly TaskTarget[]): TaskTarget[][] {
  const groups = new Map<string, TaskTarget[]>();
  for (const t of targets) {
    const key = `${t.step ?? ''}\u0000${t.desc ?? ''}`;
    const list = groups.get(key);
    if (list) list.push(t);
    else groups.set(key, [t]);
  }
  return [...groups.values()];
}

async function updateChunk(db: Db, spec: TaskRuleSpec, chunk: readonly TaskTarget[], at: number) {
  const { step, desc } = chunk[0]!;
  const e = spec.effects;
  const atBig = sql<number>`CAST(${at} AS bigint)`;
  const touches = spec.to !== undefined || e.progress !== undefined;
  let query = db
    .updateTable('ota_task')
    .set((eb) => ({
      prev_status: eb.ref('status'),
      ...(spec.to !== undefined ? { status: spec.to } : {}),
      ...(spec.record ? { history_seq: eb('history_seq', '+', 1) } : {}),
      ...(touches ? { modified_at: at } : {}),
      ...(e.progress === 'step' ? { progress: Math.round((step ?? 0) * 100) } : {}),
      ...(e.progress === 'full' ? { progress: 10_000 } : {}),
      ...(e.progress === 'zero' ? { progress: 0 } : {}),
      ...(e.timeoutClock === 'start'
        ? {
            // Both right-hand sides read the old row: the deadline is set only by the first progress (R5).
            first_progress_at: sql<number>`COALESCE(first_progress_at, ${atBig})`,
            timeout_at: sql<number | null>`CASE WHEN first_progress_at IS NULL AND timeout_minutes IS NOT NULL
              THEN ${atBig} + timeout_minutes * 60000 ELSE timeout_at END`,
          }
        : {}),
      ...(e.timeoutClock === 'stop' ? { timeout_at: null } : {}),
      ...(e.timeoutClock === 'clear' ? { timeout_at: null, first_progress_at: null } : {}),
      ...(e.desc !== undefined ? { task_desc: desc ?? e.desc } : {}),
      ...(e.retry === 'schedule'
        ? { retry_pending: 1, retry_due_at: sql<number>`${atBig} + retry_interval_ms`, retry_count: eb('retry_count', '+', 1) }
        : {}),
      ...(e.retry === 'fire' ? { retry_pending: 0, retry_due_at: null, repush_due: 1 } : {}),
      ...(e.retry === 'drop' ? { retry_pending: 0, retry_due_at: null, repush_due: 0 } : {}),
      ...(e.retry === 'reset' ? { retry_pending: 0, retry_due_at: null, repush_due: 0, retry_count: 0 } : {}),
      ...(e.countPush ? { push_count: eb('push_count', '+', 1), last_push_at: at, repush_due: 0 } : {}),
    }))
    .where('id', 'in', chunk.map((t) => t.id))
    .where('status', 'in', spec.from);
  for (const guard of spec.guards) query = query.where(guardSql(guard, at));
  return query.returning(['id', 'job_id', 'device_id', 'module_name', 'prev_status', 'status', 'history_seq']).execute();
}

function guardSql(guard: TaskGuard, at: number): Expression<SqlBool> {
  const atBig = sql`CAST(${at} AS bigint)`;
  const job = (condition: ReturnType<typeof sql>) =>
    sql<SqlBool>`EXISTS (SELECT 1 FROM ota_job j WHERE j.id = ota_task.job_id AND ${condition})`;
  switch (guard) {
    case 'retryRemains':
      return sql<SqlBool>`(retry_pending = 0 AND retry_count < retry_limit)`;
    case 'noRetryLeft':
      return sql<SqlBool>`(retry_pending = 0 AND retry_count >= retry_limit)`;
    case 'retryDue':
      return sql<SqlBool>`(retry_pending = 1 AND retry_due_at <= ${atBig})`;
    case 'timeoutDue':
      return sql<SqlBool>`(timeout_at IS NOT NULL AND timeout_at <= ${atBig})`;
    case 'jobStarted':
      return job(sql`j.status <> 'PLANNED'`);
    case 'jobPushable':
      return job(sql`j.status <> 'PLANNED' AND j.need_push = 1`);
    case 'jobNeedsConfirm':
      return job(sql`j.need_confirm = 1`);
    case 'jobSkipsConfirm':
      return job(sql`j.need_confirm = 0`);
    case 'jobNotCanceled':
      return job(sql`j.status <> 'CANCELED'`);
    case 'slotFree':
      return sql<SqlBool>`NOT EXISTS (SELECT 1 FROM ota_task o WHERE o.device_id = ota_task.device_id
        AND o.module_name = ota_task.module_name AND o.${sql.raw(ACTIVE_SQL_TEXT)})`;
  }
}

export type NewOtaTask = Pick<
  OtaTaskTable,
  'id' | 'job_id' | 'firmware_id' | 'device_id' | 'module_name' | 'src_version' | 'dest_version' | 'status' | 'task_desc' | 'timeout_minutes' | 'retry_limit' | 'retry_interval_ms' | 'created_at'
>;

/**
 * Inserts tasks in chunks; returns the ids inserted. `skipActiveConflicts`: an active task whose device and
 * module already hold an active task is silently left out (ON CONFLICT on the partial unique index), so
 * racing creators cannot both win; the caller turns the left-out ones into FAILED tasks (T2).
 */
export async function insertTasks(db: Db, tasks: readonly NewOtaTask[], options: { skipActiveConflicts?: boolean } = {}): Promise<string[]> {
  const inserted: string[] = [];
  for (let i = 0; i < tasks.length; i += CHUNK) {
    const values: Insertable<OtaTaskTable>[] = tasks.slice(i, i + CHUNK).map((t) => ({
      ...t, prev_status: null, created_status: t.status, progress: 0, first_progress_at: null, timeout_at: null,
      retry_count: 0, retry_pending: 0, retry_due_at: null, repush_due: 0, push_count: 0, last_push_at: null,
      history_seq: 0, modified_at: t.created_at,
    }));
    let query = db.insertInto('ota_task').values(values);
    if (options.skipActiveConflicts) query = query.onConflict((oc) => oc.columns(['device_id', 'module_name']).where(ACTIVE_SQL).doNothing());
    const rows = await query.returning('id').execute();
    for (const r of rows) inserted.push(r.id);
  }
  return inserted;
}

export async function insertJob(db: Db, row: Insertable<OtaJobTable>): Promise<void> {
  await db.insertInto('ota_job').values(row).execute();
}

const COUNT_COLUMN = {
  CONFIRM: 'count_confirm',
  QUEUED: 'count_queued',
  NOTIFIED: 'count_notified',
  IN_PROGRESS: 'count_in_progress',
  SUCCEEDED: 'count_succeeded',
  FAILED: 'count_failed',
  CANCELED: 'count_canceled',
} as const satisfies Record<OtaTaskStatus, keyof OtaJobTable>;

export type TaskCounts = Record<OtaTaskStatus, number>;

/**
 * Adds per-status deltas to each job's counters, jobs in id order (two transactions touching the same jobs
 * lock them in the same order). Returns the counters after the change.
 */
export async function adjustJobCounts(db: Db, deltas: ReadonlyMap<string, Partial<Record<OtaTaskStatus, number>>>): Promise<Map<string, TaskCounts>> {
  const result = new Map<string, TaskCounts>();
  for (const jobId of [...deltas.keys()].sort()) {
    const delta = Object.entries(deltas.get(jobId)!).filter(([, n]) => n !== 0) as [OtaTaskStatus, number][];
    if (delta.length === 0) continue;
    const row = await db
      .updateTable('ota_job')
      .set((eb) => Object.fromEntries(delta.map(([status, n]) => [COUNT_COLUMN[status], eb(COUNT_COLUMN[status], '+', n)])))
      .where('id', '=', jobId)
      .returning(Object.values(COUNT_COLUMN))
      .executeTakeFirstOrThrow();
    result.set(jobId, countsOf(row));
  }
  return result;
}

export function countsOf(row: Pick<OtaJobRow, (typeof COUNT_COLUMN)[OtaTaskStatus]>): TaskCounts {
  return Object.fromEntries(Object.entries(COUNT_COLUMN).map(([status, column]) => [status, Number(row[column])])) as TaskCounts;
}

export async function findTasks(db: Db, ids: readonly string[]): Promise<OtaTaskRow[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('ota_task').selectAll().where('id', 'in', ids).orderBy('id').execute();
}

/** The task's transitions in order. */
export async function taskHistory(db: Db, taskId: string): Promise<OtaTaskHistoryRow[]> {
  return db.selectFrom('ota_task_history').selectAll().where('task_id', '=', taskId).orderBy('seq').execute();
}
