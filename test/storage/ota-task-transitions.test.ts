import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Insertable } from 'kysely';
import type { Db, Storage } from '../../src/storage/db.js';
import type { OtaJobTable, OtaTaskStatus } from '../../src/storage/schema.js';
import { countsOf, findTasks, insertTasks, taskHistory, type OtaTaskRow } from '../../src/storage/repos/ota-task-repo.js';
import { applyTransition, type TransitionInput } from '../../src/domain/ota-task/apply-transition.js';
import { createTasks } from '../../src/domain/ota-task/create-tasks.js';
import { cancelByJobStates, TASK_EVENTS, type TaskEvent } from '../../src/domain/ota-task/task-transitions.js';
import { testDialects } from '../support/dialects.js';
import { BASE_TIME, newTask, openRolloutStorage, seedFleet, seedJob, seedTask, type RolloutFleet } from '../support/ota-task-fixtures.js';

const ALL: OtaTaskStatus[] = ['CONFIRM', 'QUEUED', 'NOTIFIED', 'IN_PROGRESS', 'SUCCEEDED', 'FAILED', 'CANCELED'];
const T = BASE_TIME;
const MIN = 60_000;

/** Expectations written from states.md §4.5, independently of the table in src/. */
interface Case {
  readonly name: string;
  readonly event: TaskEvent;
  readonly job?: Partial<Insertable<OtaJobTable>>;
  readonly task?: { timeoutMinutes?: number; retryLimit?: number; retryIntervalMs?: number };
  /** Column values set on all seven tasks before the event (e.g. a running clock), to show the state guard alone refuses. */
  readonly preset?: Record<string, number | null>;
  readonly input?: Partial<TransitionInput> & { step?: number; desc?: string };
  /** States that move, and where to. Every other state must stay exactly as it was. */
  readonly moves: Partial<Record<OtaTaskStatus, OtaTaskStatus>>;
  /** States that stay but get a history row (retry scheduled / fired). */
  readonly recordedStays?: OtaTaskStatus[];
  readonly check?: (row: OtaTaskRow, before: OtaTaskStatus) => void;
}

const at = T + 5 * MIN;
const cases: Case[] = [
  { name: 'T4 push', event: 'pushed', moves: { QUEUED: 'NOTIFIED' }, check: (r, s) => expect(r.push_count).toBe(s === 'QUEUED' ? 1 : 0) },
  { name: 'T4 refused for NeedPush=false', event: 'pushed', job: { need_push: 0 }, moves: {} },
  { name: 'T4 refused before ScheduleTime', event: 'pushed', job: { status: 'PLANNED' }, moves: {} },
  { name: 'T6 re-push', event: 'repushed', moves: {}, check: (r, s) => expect(r.push_count).toBe(s === 'NOTIFIED' || s === 'IN_PROGRESS' ? 1 : 0) },
  { name: 'T5 pull', event: 'pulled', moves: { QUEUED: 'NOTIFIED' } },
  { name: 'T5 refused while PLANNED', event: 'pulled', job: { status: 'PLANNED' }, moves: {} },
  {
    name: 'T7/T8/T9 progress', event: 'progressReported', task: { timeoutMinutes: 30 }, input: { step: 40 },
    moves: { NOTIFIED: 'IN_PROGRESS', QUEUED: 'IN_PROGRESS' },
    check: (r, s) => {
      const started = ['NOTIFIED', 'QUEUED', 'IN_PROGRESS'].includes(s);
      expect(r.progress).toBe(started ? 4000 : 0);
      expect(r.first_progress_at).toBe(started ? at : null);
      expect(r.timeout_at).toBe(started ? at + 30 * MIN : null);
    },
  },
  { name: 'T8 refused while PLANNED', event: 'progressReported', job: { status: 'PLANNED' }, input: { step: 10 }, moves: { NOTIFIED: 'IN_PROGRESS' } },
  {
    name: 'T11 negative progress', event: 'progressFailed', input: { step: -2, desc: 'disk full' },
    moves: { NOTIFIED: 'FAILED', IN_PROGRESS: 'FAILED' },
    check: (r, s) => { if (s === 'NOTIFIED') expect(r.task_desc).toBe('disk full'); },
  },
  { name: 'T11 default desc', event: 'progressFailed', input: { step: -3 }, moves: { NOTIFIED: 'FAILED', IN_PROGRESS: 'FAILED' }, check: (r, s) => { if (s === 'IN_PROGRESS') expect(r.task_desc).toBe('verify failed'); } },
  {
    name: 'T10 negative progress with a retry left', event: 'progressFailed', task: { retryLimit: 1, retryIntervalMs: 10 * MIN }, input: { step: -1 },
    moves: {}, recordedStays: ['NOTIFIED', 'IN_PROGRESS'],
    check: (r, s) => {
      const retried = s === 'NOTIFIED' || s === 'IN_PROGRESS';
      expect([r.retry_pending, r.retry_count, r.retry_due_at]).toEqual(retried ? [1, 1, at + 10 * MIN] : [0, 0, null]);
    },
  },
  {
    name: 'T11 when the retries are used up', event: 'progressFailed', task: { retryLimit: 1 }, preset: { retry_count: 1 }, input: { step: -4 },
    moves: { NOTIFIED: 'FAILED', IN_PROGRESS: 'FAILED' },
  },
  { name: 'T10/T11 ignored while a retry is pending', event: 'progressFailed', task: { retryLimit: 2 }, preset: { retry_pending: 1, retry_due_at: T + 99 * MIN }, input: { step: -1 }, moves: {} },
  {
    name: 'T12/T13 destination version', event: 'informedDestVersion', preset: { retry_pending: 1, retry_due_at: T },
    moves: { CONFIRM: 'SUCCEEDED', QUEUED: 'SUCCEEDED', NOTIFIED: 'SUCCEEDED', IN_PROGRESS: 'SUCCEEDED' },
    check: (r, s) => { if (s !== r.status) expect([r.progress, r.task_desc, r.retry_pending, r.retry_due_at]).toEqual([10000, '', 0, null]); },
  },
  { name: 'T14 source version', event: 'informedSourceVersion', moves: {} },
  {
    name: 'T16/T17 other version', event: 'informedOtherVersion', moves: { IN_PROGRESS: 'FAILED' },
    check: (r, s) => { if (s === 'IN_PROGRESS') expect(r.task_desc).toBe('report version is not conform'); },
  },
  { name: 'T15 other version with a retry left', event: 'informedOtherVersion', task: { retryLimit: 2, retryIntervalMs: 0 }, moves: {}, recordedStays: ['IN_PROGRESS'] },
  {
    name: 'T18 timeout', event: 'timedOut', preset: { first_progress_at: T, timeout_at: T + MIN, retry_pending: 1, retry_due_at: T + 9 * MIN },
    moves: { CONFIRM: 'FAILED', QUEUED: 'FAILED', NOTIFIED: 'FAILED', IN_PROGRESS: 'FAILED' },
    check: (r, s) => { if (s !== r.status) expect([r.timeout_at, r.retry_pending, r.task_desc]).toEqual([null, 0, 'timeout']); },
  },
  { name: 'T18 not before the deadline', event: 'timedOut', preset: { first_progress_at: T, timeout_at: at + 1 }, moves: {} },
  { name: 'T18 never without a first progress', event: 'timedOut', moves: {} },
  {
    name: 'T19 retry due', event: 'retryDue', preset: { retry_pending: 1, retry_due_at: at }, moves: {}, recordedStays: ['NOTIFIED', 'IN_PROGRESS'],
    check: (r, s) => { if (s === 'NOTIFIED' || s === 'IN_PROGRESS') expect([r.retry_pending, r.repush_due]).toEqual([0, 1]); },
  },
  { name: 'T19 not before due', event: 'retryDue', preset: { retry_pending: 1, retry_due_at: at + 1 }, moves: {} },
  { name: 'T20 confirm', event: 'confirmed', moves: { CONFIRM: 'QUEUED' } },
  {
    name: 'T21 cancel by job, every flag', event: 'canceledByJob',
    moves: { CONFIRM: 'CANCELED', QUEUED: 'CANCELED', NOTIFIED: 'CANCELED', IN_PROGRESS: 'CANCELED' },
    check: (r, s) => { if (s === 'QUEUED') expect(r.task_desc).toBe('canceled by user'); },
  },
  { name: 'T21 CancelQueuedTask alone also cancels CONFIRM', event: 'canceledByJob', input: { onlyFrom: cancelByJobStates({ queued: true }) }, moves: { CONFIRM: 'CANCELED', QUEUED: 'CANCELED' } },
  { name: 'T21 CancelQueuedTask with CancelUnconfirmedTask=false', event: 'canceledByJob', input: { onlyFrom: cancelByJobStates({ queued: true, unconfirmed: false }) }, moves: { QUEUED: 'CANCELED' } },
  { name: 'T21 CancelInProgressTask', event: 'canceledByJob', input: { onlyFrom: cancelByJobStates({ inProgress: true }) }, moves: { IN_PROGRESS: 'CANCELED' } },
  { name: 'T22 cancel by device', event: 'canceledByDevice', moves: { CONFIRM: 'CANCELED', QUEUED: 'CANCELED', NOTIFIED: 'CANCELED', IN_PROGRESS: 'CANCELED' } },
  { name: 'T23 schedule end', event: 'scheduleFinished', moves: { CONFIRM: 'CANCELED', QUEUED: 'CANCELED', NOTIFIED: 'CANCELED', IN_PROGRESS: 'CANCELED' } },
  { name: 'T24 device deleted', event: 'deviceDeleted', moves: { CONFIRM: 'CANCELED', QUEUED: 'CANCELED', NOTIFIED: 'CANCELED', IN_PROGRESS: 'CANCELED' } },
  {
    name: 'T3 overwrite never touches IN_PROGRESS', event: 'overwritten', input: { jobId: 'NEWJOB' },
    moves: { CONFIRM: 'CANCELED', QUEUED: 'CANCELED', NOTIFIED: 'CANCELED' },
    check: (r, s) => { if (s === 'CONFIRM') expect(r.task_desc).toBe('overwritten by job NEWJOB'); },
  },
  { name: 'T25 strategy cancelled', event: 'strategyCanceled', moves: {} },
  { name: 'T29 device unreachable', event: 'deviceUnreachable', moves: {} },
  { name: 'J3 job start', event: 'jobStarted', moves: {} },
  {
    name: 'T26 reupgrade to QUEUED', event: 'reupgraded', preset: { progress: 5000, first_progress_at: T, retry_count: 1 },
    moves: { FAILED: 'QUEUED', CANCELED: 'QUEUED' },
    check: (r, s) => { if (s === 'FAILED') expect([r.progress, r.task_desc, r.first_progress_at, r.retry_count]).toEqual([0, '', null, 0]); },
  },
  { name: 'T26 reupgrade to CONFIRM', event: 'reupgraded', job: { need_confirm: 1 }, moves: { FAILED: 'CONFIRM', CANCELED: 'CONFIRM' } },
  { name: 'T26 refused for a cancelled job', event: 'reupgraded', job: { status: 'CANCELED' }, moves: {} },
];

for (const dialect of testDialects()) {
  describe(`OTA task transition table (${dialect})`, () => {
    let storage: Storage;
    let close: () => Promise<void>;
    let db: Db;
    let fleet: RolloutFleet;
    beforeAll(async () => {
      ({ storage, close } = await openRolloutStorage(dialect));
      db = storage.db;
      fleet = await seedFleet(db, 8);
    });
    afterAll(async () => {
      await close?.();
    });

    it('names every event of the table in some case', () => {
      expect(new Set(cases.map((c) => c.event))).toEqual(new Set(TASK_EVENTS));
    });

    cases.forEach((c, index) => {
      it(`${c.name}: moves only the listed states, once, with history and counters`, async () => {
        const module = `m${index}`;
        const jobId = await seedJob(db, fleet, c.job);
        const ids: string[] = [];
        for (const [i, status] of ALL.entries()) {
          ids.push(await seedTask(db, fleet, { jobId, deviceId: fleet.deviceIds[i]!, status, module, ...c.task }));
        }
        if (c.preset) await db.updateTable('ota_task').set(c.preset).where('id', 'in', ids).execute();
        const { step, desc, ...rest } = c.input ?? {};
        const tasks = ids.map((id) => ({ id, step, desc }));
        const result = await applyTransition(db, { event: c.event, at, tasks, ...rest });

        const rows = await findTasks(db, ids);
        for (const [i, before] of ALL.entries()) {
          const row = rows.find((r) => r.id === ids[i])!;
          const expected = c.moves[before] ?? before;
          expect({ before, status: row.status }).toEqual({ before, status: expected });
          const history = await taskHistory(db, row.id);
          const recorded = expected !== before || (c.recordedStays ?? []).includes(before);
          expect(history.map((h) => [h.from_status, h.to_status, h.event])).toEqual(recorded ? [[before, expected, c.event]] : []);
          if (expected !== before) expect(row.modified_at).toBe(at);
          c.check?.(row, before);
        }
        expect(result.moved.map((m) => m.id).sort()).toEqual(ids.filter((_, i) => c.moves[ALL[i]!] !== undefined).sort());

        // The same event again (a duplicate or stale delivery) moves nothing further.
        const again = await applyTransition(db, { event: c.event, at, tasks, ...rest });
        expect(again.moved).toEqual([]);
        await expectCountersMatch(db, jobId);
      });
    });

    it('keeps at most one active task per device and module in the database itself', async () => {
      const jobA = await seedJob(db, fleet);
      const jobB = await seedJob(db, fleet);
      const device = fleet.deviceIds[7]!;
      const first = await seedTask(db, fleet, { jobId: jobA, deviceId: device, status: 'QUEUED', module: 'solo' });
      // Code that forgets the conflict check: the insert itself fails.
      await expect(insertTasks(db, [newTask(fleet, { jobId: jobB, deviceId: device, status: 'CONFIRM', module: 'solo' })])).rejects.toThrow();
      // The race-safe form leaves the loser out instead.
      const loser = newTask(fleet, { jobId: jobB, deviceId: device, status: 'QUEUED', module: 'solo' });
      const other = newTask(fleet, { jobId: jobB, deviceId: device, status: 'QUEUED', module: 'other' });
      expect((await createTasks(db, [loser, other], { skipActiveConflicts: true })).inserted).toEqual([other.id]);
      // Final tasks never conflict; a reupgrade into a taken slot is refused by its guard, and a raw update by the index.
      const failed = await seedTask(db, fleet, { jobId: jobB, deviceId: device, status: 'FAILED', module: 'solo' });
      expect((await applyTransition(db, { event: 'reupgraded', at, tasks: [failed] })).moved).toEqual([]);
      const twin = await seedTask(db, fleet, { jobId: jobA, deviceId: device, status: 'CANCELED', module: 'twin' });
      const twin2 = await seedTask(db, fleet, { jobId: jobB, deviceId: device, status: 'FAILED', module: 'twin' });
      await expect(applyTransition(db, { event: 'reupgraded', at, tasks: [twin, twin2] })).rejects.toThrow();
      expect((await findTasks(db, [twin, twin2])).map((r) => r.status).sort()).toEqual(['CANCELED', 'FAILED']);
      await expect(db.updateTable('ota_task').set({ status: 'NOTIFIED' }).where('id', '=', failed).execute()).rejects.toThrow();
      expect((await findTasks(db, [failed]))[0]!.status).toBe('FAILED');
      await expectCountersMatch(db, jobB);
      // Once the first task is final, the slot is free again.
      await applyTransition(db, { event: 'canceledByDevice', at, tasks: [first] });
      await applyTransition(db, { event: 'reupgraded', at, tasks: [failed] });
      expect((await findTasks(db, [failed]))[0]!.status).toBe('QUEUED');
      await expectCountersMatch(db, jobA);
      await expectCountersMatch(db, jobB);
    });

    it('lets the first final state win and applies a batch of mixed progress steps', async () => {
      const jobId = await seedJob(db, fleet);
      const ids = [];
      for (let i = 0; i < 4; i++) ids.push(await seedTask(db, fleet, { jobId, deviceId: fleet.deviceIds[i]!, status: 'NOTIFIED', module: 'race' }));
      const progress = await applyTransition(db, { event: 'progressReported', at, tasks: ids.map((id, i) => ({ id, step: 10 * (i + 1) })) });
      expect(progress.moved).toHaveLength(4);
      const byId = new Map((await findTasks(db, ids)).map((r) => [r.id, r]));
      expect(ids.map((id) => byId.get(id)!.progress)).toEqual([1000, 2000, 3000, 4000]);
      await applyTransition(db, { event: 'informedDestVersion', at, tasks: [ids[0]!] });
      await applyTransition(db, { event: 'canceledByJob', at, tasks: ids });
      await applyTransition(db, { event: 'informedDestVersion', at, tasks: ids });
      await applyTransition(db, { event: 'progressReported', at, tasks: ids.map((id) => ({ id, step: 99 })) });
      const after = new Map((await findTasks(db, ids)).map((r) => [r.id, r.status]));
      expect(ids.map((id) => after.get(id))).toEqual(['SUCCEEDED', 'CANCELED', 'CANCELED', 'CANCELED']);
      expect((await taskHistory(db, ids[1]!)).map((h) => h.rule)).toEqual(['T7', 'T21']);
      await expectCountersMatch(db, jobId);
    });

    it('gives each task exactly one final state when conflicting events race', async () => {
      const jobId = await seedJob(db, fleet);
      const ids: string[] = [];
      for (let i = 0; i < 8; i++) ids.push(await seedTask(db, fleet, { jobId, deviceId: fleet.deviceIds[i]!, status: 'IN_PROGRESS', module: 'racing' }));
      const reversed = [...ids].reverse();
      // On PostgreSQL these run on separate pooled connections and contend for the same rows.
      await Promise.all([
        applyTransition(db, { event: 'informedDestVersion', at, tasks: ids }),
        applyTransition(db, { event: 'canceledByJob', at, tasks: reversed }),
        applyTransition(db, { event: 'informedOtherVersion', at, tasks: ids }),
        applyTransition(db, { event: 'deviceDeleted', at, tasks: reversed }),
        applyTransition(db, { event: 'progressReported', at, tasks: ids.map((id) => ({ id, step: 50 })) }),
      ]);
      for (const id of ids) {
        const history = await taskHistory(db, id);
        expect(history).toHaveLength(1);
        expect(['SUCCEEDED', 'CANCELED', 'FAILED']).toContain(history[0]!.to_status);
      }
      await expectCountersMatch(db, jobId);
    });
  });
}

async function expectCountersMatch(db: Db, jobId: string): Promise<void> {
  const job = await db.selectFrom('ota_job').selectAll().where('id', '=', jobId).executeTakeFirstOrThrow();
  const actual = await db.selectFrom('ota_task').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).where('job_id', '=', jobId).groupBy('status').execute();
  const expected = Object.fromEntries(ALL.map((s) => [s, 0]));
  for (const row of actual) expected[row.status] = Number(row.n);
  expect(countsOf(job)).toEqual(expected);
}
