import { type Db, inTransaction } from '../../storage/db.js';
import { adjustJobCounts, insertTasks, type NewOtaTask, type TaskCounts } from '../../storage/repos/ota-task-repo.js';
import { randomString, timeOrderedId } from '../../security/random-ids.js';
import type { TaskStatus } from './task-transitions.js';

/**
 * Public TaskId/JobId: 26 characters [A-Za-z0-9] like Alibaba's (ota-api §1.3), starting with the creation
 * time in base 36 so that ids sort by creation (ListOTATaskByJob order, ota-api §1.6) and inserts append to
 * the index (shared/BENCHMARKS.md: time-ordered ids nearly halve bulk-insert time).
 */
export function newOtaId(at: number): string {
  return timeOrderedId(at).slice(0, 9) + randomString(17);
}

/**
 * T1/T2: inserts tasks (their initial status already chosen with creationStatus) and adds them to their
 * jobs' counters, in one transaction. With `skipActiveConflicts` an active task whose device and module
 * already hold one is left out (the database decides, so racing creators cannot both win); the result
 * lists what was inserted so the caller can create the losers as FAILED.
 */
export async function createTasks(
  db: Db,
  tasks: readonly NewOtaTask[],
  options: { skipActiveConflicts?: boolean } = {},
): Promise<{ inserted: string[]; jobCounts: Map<string, TaskCounts> }> {
  const run = async (tx: Db) => {
    const inserted = await insertTasks(tx, tasks, options);
    const ids = new Set(inserted);
    const deltas = new Map<string, Partial<Record<TaskStatus, number>>>();
    for (const t of tasks) {
      if (!ids.has(t.id)) continue;
      const d = deltas.get(t.job_id) ?? {};
      d[t.status] = (d[t.status] ?? 0) + 1;
      deltas.set(t.job_id, d);
    }
    return { inserted, jobCounts: await adjustJobCounts(tx, deltas) };
  };
  return db.isTransaction ? run(db) : inTransaction(db, run);
}
