import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Db, Storage } from '../../src/storage/db.js';
import type { OtaTaskStatus } from '../../src/storage/schema.js';
import { countsOf } from '../../src/storage/repos/ota-task-repo.js';
import { applyTransition, type TransitionInput } from '../../src/domain/ota-task/apply-transition.js';
import { createTasks } from '../../src/domain/ota-task/create-tasks.js';
import {
  ACTIVE_TASK_STATUSES,
  cancelByJobStates,
  creationStatus,
  FINAL_TASK_STATUSES,
  isLegalTransition,
  TASK_EVENTS,
  type TaskEvent,
} from '../../src/domain/ota-task/task-transitions.js';
import { testDialects } from '../support/dialects.js';
import { BASE_TIME, newTask, openRolloutStorage, seedFleet, seedJob, type RolloutFleet } from '../support/ota-task-fixtures.js';

const MIN = 60_000;
const MODULES = ['default', 'm2'];

type Command =
  | { kind: 'create'; job: number; device: number; module: number }
  | { kind: 'event'; event: TaskEvent; picks: number[]; step: number; flags: boolean[] }
  | { kind: 'advance'; minutes: number }
  | { kind: 'tick' }
  | { kind: 'repeat' }
  | { kind: 'startJob' };

const createArb = fc.record({ kind: fc.constant('create' as const), job: fc.nat(2), device: fc.nat(2), module: fc.nat(1) });
const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { arbitrary: createArb, weight: 3 },
  {
    arbitrary: fc.record({
      kind: fc.constant('event' as const),
      event: fc.constantFrom(...TASK_EVENTS),
      picks: fc.array(fc.nat(20), { minLength: 1, maxLength: 4 }),
      step: fc.integer({ min: 1, max: 100 }),
      flags: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
    }),
    weight: 8,
  },
  { arbitrary: fc.record({ kind: fc.constant('advance' as const), minutes: fc.integer({ min: 0, max: 40 }) }), weight: 2 },
  { arbitrary: fc.constant({ kind: 'tick' as const }), weight: 2 },
  { arbitrary: fc.constant({ kind: 'repeat' as const }), weight: 2 },
  { arbitrary: fc.constant({ kind: 'startJob' as const }), weight: 1 },
);

for (const dialect of testDialects()) {
  describe(`OTA task state machine under random event sequences (${dialect})`, () => {
    let storage: Storage;
    let close: () => Promise<void>;
    let db: Db;
    let fleet: RolloutFleet;
    let jobs: string[];
    beforeAll(async () => {
      ({ storage, close } = await openRolloutStorage(dialect));
      db = storage.db;
      fleet = await seedFleet(db, 3);
      jobs = [
        // A: retries (a SrcVersion.N job) and a timeout; B: confirmation, short timeout; C: scheduled, pull only.
        await seedJob(db, fleet, { retry_interval: 10, retry_count: 2, timeout_minutes: 30, src_versions: '["1.0"]' }),
        await seedJob(db, fleet, { need_confirm: 1, timeout_minutes: 5 }),
        await seedJob(db, fleet, { status: 'PLANNED', need_push: 0, schedule_at: BASE_TIME + 60 * MIN }),
      ];
    });
    afterAll(async () => {
      await close?.();
    });

    const seen = new Set<string>();
    it('keeps history legal, final states final, one active task per device and module, counters exact', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(createArb, { minLength: 2, maxLength: 6 }), fc.array(commandArb, { minLength: 10, maxLength: 30, size: 'max' }), async (creates, rest) => {
          const commands: Command[] = [...creates, ...rest];
          await reset(db, jobs);
          const state = { now: BASE_TIME, taskIds: [] as string[], last: undefined as TransitionInput | undefined };
          for (const command of commands) {
            await run(db, fleet, jobs, state, command);
            await checkInvariants(db, jobs);
          }
          for (const h of await db.selectFrom('ota_task_history').select(['rule', 'from_status', 'to_status']).execute()) {
            seen.add(`${h.rule} ${h.from_status}>${h.to_status}`);
          }
        }),
        { numRuns: 50 },
      );
      // Not vacuous: the random runs reached most rows of the table.
      expect(seen.size, [...seen].join(', ')).toBeGreaterThanOrEqual(20);
    });
  });
}

async function reset(db: Db, jobs: string[]): Promise<void> {
  await db.deleteFrom('ota_task_history').execute();
  await db.deleteFrom('ota_task').execute();
  const zero = { count_confirm: 0, count_queued: 0, count_notified: 0, count_in_progress: 0, count_succeeded: 0, count_failed: 0, count_canceled: 0 };
  await db.updateTable('ota_job').set(zero).execute();
  await db.updateTable('ota_job').set({ status: 'PLANNED' }).where('id', '=', jobs[2]!).execute();
}

interface RunState {
  now: number;
  taskIds: string[];
  last: TransitionInput | undefined;
}

async function run(db: Db, fleet: RolloutFleet, jobs: string[], state: RunState, command: Command): Promise<void> {
  switch (command.kind) {
    case 'create': {
      // T1/T2 as the engine will do it: the database decides conflicts; the loser is created FAILED.
      const job = await db.selectFrom('ota_job').selectAll().where('id', '=', jobs[command.job]!).executeTakeFirstOrThrow();
      const seed = {
        jobId: job.id, deviceId: fleet.deviceIds[command.device]!, module: MODULES[command.module], at: state.now,
        timeoutMinutes: job.timeout_minutes, retryLimit: job.src_versions ? (job.retry_count ?? 0) : 0, retryIntervalMs: (job.retry_interval ?? 0) * MIN,
      };
      const task = newTask(fleet, { ...seed, status: creationStatus({ conflict: false, needConfirm: job.need_confirm === 1 }) });
      const { inserted } = await createTasks(db, [task], { skipActiveConflicts: true });
      if (inserted.length === 1) {
        state.taskIds.push(task.id);
      } else {
        const refused = newTask(fleet, { ...seed, status: creationStatus({ conflict: true, needConfirm: false }) });
        await createTasks(db, [refused]);
        state.taskIds.push(refused.id);
      }
      return;
    }
    case 'event': {
      if (state.taskIds.length === 0) return;
      const ids = command.picks.map((p) => state.taskIds[p % state.taskIds.length]!);
      const step = command.event === 'progressFailed' ? -((command.step % 4) + 1) : command.step;
      const [queued, notified, inProgress, unconfirmed, scheduled] = command.flags;
      const onlyFrom = command.event === 'canceledByJob' ? cancelByJobStates({ queued, notified, inProgress, unconfirmed, scheduled }) : undefined;
      state.last = { event: command.event, at: state.now, tasks: ids.map((id) => ({ id, step })), onlyFrom, jobId: 'NEWER' };
      await applyRefusable(db, state.last);
      return;
    }
    case 'repeat':
      // A duplicated (or, after `advance`, stale) delivery of the previous event.
      if (state.last) await applyRefusable(db, state.last);
      return;
    case 'advance':
      state.now += command.minutes * MIN;
      return;
    case 'tick': {
      // What the scheduler will do: fire due timeouts and retries found through the due indexes.
      const timeouts = await db.selectFrom('ota_task').select('id').where('timeout_at', '<=', state.now).execute();
      await applyTransition(db, { event: 'timedOut', at: state.now, tasks: timeouts.map((r) => r.id) });
      const retries = await db.selectFrom('ota_task').select('id').where('retry_pending', '=', 1).where('retry_due_at', '<=', state.now).execute();
      await applyTransition(db, { event: 'retryDue', at: state.now, tasks: retries.map((r) => r.id) });
      return;
    }
    case 'startJob':
      await db.updateTable('ota_job').set({ status: 'IN_PROGRESS', started_at: state.now }).where('id', '=', jobs[2]!).execute();
      return;
  }
}

/** Two tasks of one reupgrade batch for the same device and module: the unique index refuses the whole batch. */
async function applyRefusable(db: Db, input: TransitionInput): Promise<void> {
  try {
    await applyTransition(db, input);
  } catch (err) {
    if (input.event !== 'reupgraded' || !/unique|duplicate key/i.test(String(err))) throw err;
  }
}

async function checkInvariants(db: Db, jobs: string[]): Promise<void> {
  const tasks = await db.selectFrom('ota_task').selectAll().execute();
  const history = await db.selectFrom('ota_task_history').selectAll().orderBy('task_id').orderBy('seq').execute();
  const final: readonly OtaTaskStatus[] = FINAL_TASK_STATUSES;
  const active: readonly OtaTaskStatus[] = ACTIVE_TASK_STATUSES;

  for (const h of history) {
    // I1: only rows of the table; I3: SUCCEEDED never left, FAILED/CANCELED left only by a reupgrade.
    expect(isLegalTransition(h.event, h.from_status, h.to_status), `${h.event} ${h.from_status}→${h.to_status}`).toBe(true);
    if (final.includes(h.from_status)) {
      expect(h.from_status).not.toBe('SUCCEEDED');
      expect(h.event).toBe('reupgraded');
    }
  }

  const byTask = new Map<string, typeof history>();
  for (const h of history) byTask.set(h.task_id, [...(byTask.get(h.task_id) ?? []), h]);
  for (const t of tasks) {
    // The stored status is the replay of the history from the creation state.
    let current = t.created_status;
    const rows = byTask.get(t.id) ?? [];
    rows.forEach((h, i) => {
      expect(h.seq).toBe(i + 1);
      expect(h.from_status).toBe(current);
      current = h.to_status;
    });
    expect(t.status).toBe(current);
    expect(t.history_seq).toBe(rows.length);
    // I6–I8
    expect(t.progress).toBeGreaterThanOrEqual(0);
    expect(t.progress).toBeLessThanOrEqual(10_000);
    if (t.status === 'SUCCEEDED') expect(t.progress).toBe(10_000);
    if (t.timeout_at !== null) expect(t.first_progress_at).not.toBeNull();
    if (final.includes(t.status)) expect([t.timeout_at, t.retry_pending]).toEqual([null, 0]);
    expect(t.retry_count).toBeLessThanOrEqual(t.retry_limit);
  }

  // I2
  const slots = new Set<string>();
  for (const t of tasks.filter((x) => active.includes(x.status))) {
    const slot = `${t.device_id}/${t.module_name}`;
    expect(slots.has(slot), `two active tasks for ${slot}`).toBe(false);
    slots.add(slot);
  }

  // Job counters equal the tasks' statuses.
  const jobRows = await db.selectFrom('ota_job').selectAll().where('id', 'in', jobs).execute();
  for (const jobId of jobs) {
    const job = jobRows.find((j) => j.id === jobId)!;
    const expected: Record<string, number> = Object.fromEntries([...active, ...final].map((s) => [s, 0]));
    for (const t of tasks) if (t.job_id === jobId) expected[t.status]! += 1;
    expect(countsOf(job)).toEqual(expected);
  }
}
