import { type Db, inTransaction } from '../../storage/db.js';
import { createGroupCommit } from '../../storage/group-commit.js';
import { upsertModuleVersions, upsertOtaProgress, type ModuleVersionRow, type OtaProgressRow } from '../../storage/repos/device-report-repo.js';
import type { Clock } from '../clock.js';
import type { OtaDeviceEvents } from './device-ota-events.js';

/**
 * The device side of OTA before the rollout engine exists (issue 5): version reports become the device's
 * current version per module (ListOTAModuleVersionsByDevice, QueryDeviceDetail and job targeting read
 * them), progress reports are kept as the last one per device and module, and every pull is answered
 * "no pending task". Both kinds of report are written with group commit.
 */
export function createReportRecorder(deps: { db: Db; clock: Clock }): OtaDeviceEvents & { drain(): Promise<void> } {
  const { db, clock } = deps;
  const versions = createGroupCommit<ModuleVersionRow>((rows) => inTransaction(db, (tx) => upsertModuleVersions(tx, rows)));
  const progress = createGroupCommit<OtaProgressRow>((rows) => inTransaction(db, (tx) => upsertOtaProgress(tx, rows)));
  return {
    versionReported(device, report) {
      return versions.add({ device_id: device.rowId, module_name: report.module, version: report.version, reported_at: clock.now() });
    },
    progressReported(device, report) {
      return progress.add({
        device_id: device.rowId,
        module_name: report.module,
        step: report.step,
        description: report.desc ?? null,
        reported_at: clock.now(),
      });
    },
    async pendingUpdate() {
      return undefined;
    },
    readyForPush() {},
    wentOffline() {},
    async drain() {
      await Promise.all([versions.drain(), progress.drain()]);
    },
  };
}
