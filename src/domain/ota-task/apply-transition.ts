import { type Db, inTransaction } from '../../storage/db.js';
import {
  adjustJobCounts,
  applyTaskRule,
  type AppliedTask,
  type TaskCounts,
  type TaskTarget,
} from '../../storage/repos/ota-task-repo.js';
import { failureDesc, rulesOf, type TaskEvent, type TaskRule, type TaskStatus } from './task-transitions.js';

/** One task named in an event, with the values that may differ per task in a batch. */
export interface TaskEventTarget {
  readonly id: string;
  /** progressReported: 1–100; progressFailed: −1…−4. */
  readonly step?: number;
  /** The device's `desc` of a progress report. */
  readonly desc?: string;
}

export interface TransitionInput {
  readonly event: TaskEvent;
  readonly at: number;
  readonly tasks: readonly (string | TaskEventTarget)[];
  /** Narrows every rule's from-states (CancelOTATaskByJob flags, cancelByJobStates). */
  readonly onlyFrom?: readonly TaskStatus[];
  /** `{jobId}` in TaskDesc templates: the job that overwrote the task (T3). */
  readonly jobId?: string;
  /** Stored in each history row (e.g. the API call or scheduler tick that caused it). */
  readonly detail?: string;
}

export interface TransitionResult {
  /** Every task a rule applied to, including same-state rules (from === to). */
  readonly applied: AppliedTask[];
  /** The tasks whose status changed. */
  readonly moved: AppliedTask[];
  /** Per-status counters of each job whose counters changed, as they are now (within the transaction). */
  readonly jobCounts: Map<string, TaskCounts>;
}

/**
 * Applies an event to a batch of tasks: each rule of the event as one guarded UPDATE per chunk, history rows
 * for what moved, and the jobs' per-status counters — all in one transaction (the caller's, if it has one).
 * Tasks in states the event does not allow, or failing a guard, are left exactly as they were.
 */
export async function applyTransition(db: Db, input: TransitionInput): Promise<TransitionResult> {
  const run = async (tx: Db): Promise<TransitionResult> => {
    let remaining = dedupe(input.tasks);
    const applied: AppliedTask[] = [];
    for (const rule of rulesOf(input.event)) {
      if (remaining.length === 0) break;
      if (rule.to === undefined && Object.keys(rule.effects).length === 0) continue; // documented no-op (T14, T17, …)
      const from = input.onlyFrom ? rule.from.filter((s) => input.onlyFrom!.includes(s)) : rule.from;
      if (from.length === 0) continue;
      const targets = remaining.map((t) => targetFor(rule, t, input));
      const spec = { rule: rule.rule, event: input.event, from, to: rule.to, guards: rule.guards ?? [], effects: rule.effects, record: rule.to !== undefined || rule.record === true };
      const got = await applyTaskRule(tx, spec, targets, input.at);
      if (got.length === 0) continue;
      applied.push(...got);
      const done = new Set(got.map((a) => a.id));
      remaining = remaining.filter((t) => !done.has(t.id));
    }
    const moved = applied.filter((a) => a.from !== a.to);
    const jobCounts = await adjustJobCounts(tx, countDeltas(moved));
    return { applied, moved, jobCounts };
  };
  return db.isTransaction ? run(db) : inTransaction(db, run);
}

function dedupe(tasks: readonly (string | TaskEventTarget)[]): TaskEventTarget[] {
  const byId = new Map<string, TaskEventTarget>();
  for (const t of tasks) {
    const target = typeof t === 'string' ? { id: t } : t;
    if (!byId.has(target.id)) byId.set(target.id, target);
  }
  return [...byId.values()];
}

function targetFor(rule: TaskRule, t: TaskEventTarget, input: TransitionInput): TaskTarget {
  const template = rule.effects.desc;
  const desc =
    template === undefined
      ? undefined
      : template.replace('{deviceDesc}', () => failureDesc(t.step ?? -1, t.desc)).replace('{jobId}', () => input.jobId ?? '');
  const stepDetail = t.step === undefined ? undefined : t.desc ? `step=${t.step} desc=${t.desc}` : `step=${t.step}`;
  const detail = [input.detail, stepDetail].filter((d) => d !== undefined).join('; ');
  return { id: t.id, step: t.step, desc, detail: detail === '' ? undefined : detail };
}

function countDeltas(moved: readonly AppliedTask[]): Map<string, Partial<Record<TaskStatus, number>>> {
  const deltas = new Map<string, Partial<Record<TaskStatus, number>>>();
  for (const m of moved) {
    const d = deltas.get(m.jobId) ?? {};
    d[m.from] = (d[m.from] ?? 0) - 1;
    d[m.to] = (d[m.to] ?? 0) + 1;
    deltas.set(m.jobId, d);
  }
  return deltas;
}
