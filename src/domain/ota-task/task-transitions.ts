import type { OtaTaskStatus } from '../../storage/schema.js';
import type { TaskEffects, TaskGuard } from '../../storage/repos/ota-task-repo.js';

/**
 * THE task state machine (states.md §4.5): the only place that says which task state may move to which, on
 * which event. Everything else names an event; `applyTransition` (apply-transition.ts) turns each rule into
 * one guarded UPDATE, so a stale or repeated event cannot move a task backwards or out of a final state.
 * How the engine builds on this: docs/rollout-design.md.
 *
 * Reading a row: `from` are the states the rule moves; `guards` narrow it further (evaluated in the same
 * UPDATE); `to` undefined means the status stays and only `effects` are written. An event's rules are tried
 * in order and each task moves at most once per event, so they read as an if/else chain.
 */
export type TaskStatus = OtaTaskStatus;

export const ACTIVE_TASK_STATUSES = ['CONFIRM', 'QUEUED', 'NOTIFIED', 'IN_PROGRESS'] as const satisfies readonly TaskStatus[];
export const FINAL_TASK_STATUSES = ['SUCCEEDED', 'FAILED', 'CANCELED'] as const satisfies readonly TaskStatus[];
const ACTIVE = ACTIVE_TASK_STATUSES;

export interface TaskRule {
  /** states.md §4.5 row (J3 for the job start). */
  readonly rule: string;
  readonly from: readonly TaskStatus[];
  readonly to: TaskStatus | undefined;
  readonly guards?: readonly TaskGuard[];
  readonly effects: TaskEffects;
  /** History row for a same-state rule; status changes are always recorded. */
  readonly record?: boolean;
}

const noChange = (rule: string, from: readonly TaskStatus[]): TaskRule => ({ rule, from, to: undefined, effects: {} });
const progressEffects: TaskEffects = { progress: 'step', timeoutClock: 'start' };
// T12 and every other final state: pending retries and the timeout deadline die with the task.
const ending = { retry: 'drop', timeoutClock: 'stop' } as const;

// TaskDesc texts. Only `report version is not conform` is Alibaba's (SEED 004) and `timeout` the console's;
// the others are unconfirmed choices (states.md §4.5 examples).
export const TASK_DESC = {
  versionNotConform: 'report version is not conform',
  timeout: 'timeout',
  canceledByUser: 'canceled by user',
  scheduleFinished: 'schedule finished',
  deviceDeleted: 'device deleted',
  overwritten: 'overwritten by job {jobId}',
  unfinishedTask: 'device has an unfinished task',
  /** T11: the device's own `desc`, else a text per step (below). */
  deviceFailure: '{deviceDesc}',
} as const;

export const taskTransitions = {
  // J3: a scheduled job starts; its tasks keep their state and become pushable (states.md §4.3).
  jobStarted: [noChange('J3', ['CONFIRM', 'QUEUED'])],
  pushed: [{ rule: 'T4', from: ['QUEUED'], to: 'NOTIFIED', guards: ['jobPushable'], effects: { countPush: true } }],
  // T6 (sign-in again) and the push after a fired retry (T19): no state change, the timeout clock keeps running.
  repushed: [{ rule: 'T6', from: ['NOTIFIED', 'IN_PROGRESS'], to: undefined, guards: ['jobPushable'], effects: { countPush: true } }],
  // T5 (unconfirmed: a pull moves QUEUED → NOTIFIED).
  pulled: [{ rule: 'T5', from: ['QUEUED'], to: 'NOTIFIED', guards: ['jobStarted'], effects: {} }],
  progressReported: [
    { rule: 'T7', from: ['NOTIFIED'], to: 'IN_PROGRESS', effects: progressEffects },
    // unconfirmed: progress without a push (the device pulled earlier) also starts the task.
    { rule: 'T8', from: ['QUEUED'], to: 'IN_PROGRESS', guards: ['jobStarted'], effects: progressEffects },
    // unconfirmed: the last value is stored even when lower.
    { rule: 'T9', from: ['IN_PROGRESS'], to: undefined, effects: progressEffects },
  ],
  progressFailed: [
    { rule: 'T10', from: ['NOTIFIED', 'IN_PROGRESS'], to: undefined, guards: ['retryRemains'], effects: { retry: 'schedule' }, record: true },
    { rule: 'T11', from: ['NOTIFIED', 'IN_PROGRESS'], to: 'FAILED', guards: ['noRetryLeft'], effects: { ...ending, desc: TASK_DESC.deviceFailure } },
  ],
  informedDestVersion: [
    { rule: 'T12', from: ['QUEUED', 'NOTIFIED', 'IN_PROGRESS'], to: 'SUCCEEDED', effects: { ...ending, progress: 'full', desc: '' } },
    // unconfirmed: a device already at the destination while its task waits for confirmation succeeds.
    { rule: 'T13', from: ['CONFIRM'], to: 'SUCCEEDED', effects: { ...ending, progress: 'full', desc: '' } },
  ],
  informedSourceVersion: [noChange('T14', ACTIVE)],
  informedOtherVersion: [
    { rule: 'T15', from: ['IN_PROGRESS'], to: undefined, guards: ['retryRemains'], effects: { retry: 'schedule' }, record: true },
    { rule: 'T16', from: ['IN_PROGRESS'], to: 'FAILED', guards: ['noRetryLeft'], effects: { ...ending, desc: TASK_DESC.versionNotConform } },
    // unconfirmed: a third version before the upgrade started changes nothing.
    noChange('T17', ['CONFIRM', 'QUEUED', 'NOTIFIED']),
  ],
  // T18: never retried; only tasks whose clock runs (T0 set) can time out.
  timedOut: [{ rule: 'T18', from: ACTIVE, to: 'FAILED', guards: ['timeoutDue'], effects: { ...ending, desc: TASK_DESC.timeout } }],
  retryDue: [{ rule: 'T19', from: ['NOTIFIED', 'IN_PROGRESS'], to: undefined, guards: ['retryDue'], effects: { retry: 'fire' }, record: true }],
  confirmed: [{ rule: 'T20', from: ['CONFIRM'], to: 'QUEUED', effects: {} }],
  // T21: the caller narrows `from` with cancelByJobStates(flags) (states.md §4.7).
  canceledByJob: [{ rule: 'T21', from: ACTIVE, to: 'CANCELED', effects: { ...ending, desc: TASK_DESC.canceledByUser } }],
  // T22: SEED 001 includes CONFIRM.
  canceledByDevice: [{ rule: 'T22', from: ACTIVE, to: 'CANCELED', effects: { ...ending, desc: TASK_DESC.canceledByUser } }],
  // unconfirmed: tasks ended by ScheduleFinishTime, overwritten (never IN_PROGRESS) or of deleted devices are CANCELED.
  scheduleFinished: [{ rule: 'T23', from: ACTIVE, to: 'CANCELED', effects: { ...ending, desc: TASK_DESC.scheduleFinished } }],
  deviceDeleted: [{ rule: 'T24', from: ACTIVE, to: 'CANCELED', effects: { ...ending, desc: TASK_DESC.deviceDeleted } }],
  overwritten: [{ rule: 'T3', from: ['CONFIRM', 'QUEUED', 'NOTIFIED'], to: 'CANCELED', effects: { ...ending, desc: TASK_DESC.overwritten } }],
  // T25 (unconfirmed): cancelling a dynamic policy leaves its tasks alone.
  strategyCanceled: [noChange('T25', ACTIVE)],
  // T29 (unconfirmed): offline or disabled devices keep their tasks and clocks; only pushes wait.
  deviceUnreachable: [noChange('T29', ACTIVE)],
  // T26: same TaskId (unconfirmed), fresh progress, desc, clock and retry budget. A task whose device and module
  // hold another active task stays put (the API answers iot.ota.DeviceNotReUpgraded); the cross-module rule
  // of MultiModuleMode=false is the engine's check. Two tasks of one batch racing for one slot: the index refuses.
  reupgraded: [
    { rule: 'T26', from: ['FAILED', 'CANCELED'], to: 'CONFIRM', guards: ['jobNotCanceled', 'jobNeedsConfirm', 'slotFree'], effects: reupgradeEffects() },
    { rule: 'T26', from: ['FAILED', 'CANCELED'], to: 'QUEUED', guards: ['jobNotCanceled', 'jobSkipsConfirm', 'slotFree'], effects: reupgradeEffects() },
  ],
} as const satisfies Record<string, readonly TaskRule[]>;

function reupgradeEffects(): TaskEffects {
  return { progress: 'zero', desc: '', timeoutClock: 'clear', retry: 'reset' };
}

export type TaskEvent = keyof typeof taskTransitions;
export const TASK_EVENTS = Object.keys(taskTransitions) as TaskEvent[];

export function rulesOf(event: TaskEvent): readonly TaskRule[] {
  return taskTransitions[event];
}

/** T1/T2: the state a new task starts in. */
export function creationStatus(options: { conflict: boolean; needConfirm: boolean }): TaskStatus {
  if (options.conflict) return 'FAILED';
  return options.needConfirm ? 'CONFIRM' : 'QUEUED';
}

/** Whether `from → to` on `event` is a row of the table (used by tests and consistency checks). */
export function isLegalTransition(event: string, from: TaskStatus, to: TaskStatus): boolean {
  const rules: readonly TaskRule[] | undefined = (taskTransitions as Record<string, readonly TaskRule[]>)[event];
  return rules?.some((r) => r.from.includes(from) && (r.to ?? from) === to) ?? false;
}

/** R7: which inform event a reported version is for a task. */
export function informEventFor(task: { srcVersion: string | null; destVersion: string }, version: string): TaskEvent {
  if (version === task.destVersion) return 'informedDestVersion';
  if (version === task.srcVersion) return 'informedSourceVersion';
  return 'informedOtherVersion';
}

/** states.md §4.7, CancelOTATaskByJob flags → the states it cancels (CancelUnconfirmedTask is tri-state). */
export function cancelByJobStates(flags: {
  queued?: boolean;
  notified?: boolean;
  inProgress?: boolean;
  unconfirmed?: boolean;
  scheduled?: boolean;
}): TaskStatus[] {
  const states = new Set<TaskStatus>();
  const unconfirmed = flags.unconfirmed ?? flags.queued ?? false;
  if (unconfirmed) states.add('CONFIRM');
  if (flags.queued) states.add('QUEUED');
  if (flags.notified) states.add('NOTIFIED');
  if (flags.inProgress) states.add('IN_PROGRESS');
  // unconfirmed: on a PLANNED job it cancels the whole job (J4); on a started one it acts like CancelQueuedTask.
  if (flags.scheduled) {
    states.add('QUEUED');
    if (flags.unconfirmed !== false) states.add('CONFIRM');
  }
  return ACTIVE.filter((s) => states.has(s));
}

/** T11 TaskDesc (unconfirmed): the device's `desc`, else the meaning of the step (device-protocol §4.3). */
export function failureDesc(step: number, deviceDesc: string | undefined): string {
  if (deviceDesc !== undefined && deviceDesc.trim() !== '') return deviceDesc;
  const byStep: Record<number, string> = { [-1]: 'upgrade failed', [-2]: 'download failed', [-3]: 'verify failed', [-4]: 'burn failed' };
  return byStep[step] ?? 'upgrade failed';
}
