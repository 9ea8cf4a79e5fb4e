import type { Db } from '../../storage/db.js';
import { inTransaction } from '../../storage/db.js';
import * as repo from '../../storage/repos/device-repo.js';
import type { DeviceRow } from '../../storage/repos/device-repo.js';
import type { ProductRow } from '../../storage/repos/product-repo.js';
import type { Scope } from '../account/account-service.js';
import type { Clock } from '../clock.js';
import { BusinessError } from '../errors.js';
import type { DeviceRef } from './device-service.js';
import { deviceTransitions } from './device-transitions.js';

export interface DeviceLifecycleDeps {
  db: Db;
  clock: Clock;
  resolveDevice(scope: Scope, ref: DeviceRef): Promise<{ row: DeviceRow; product: ProductRow }>;
}

/** Disable, enable, delete (fleet-api §6, states.md §5). */
export function createDeviceLifecycle(deps: DeviceLifecycleDeps) {
  const { db, clock, resolveDevice } = deps;

  return {
    /** DisableThing (fleet-api §6.1, states.md D6; D10: disabling a disabled device succeeds, unchanged). */
    async disable(scope: Scope, ref: DeviceRef): Promise<void> {
      const { row } = await resolveDevice(scope, ref);
      if (row.status === 'DISABLE') return;
      // Closing an open MQTT session comes with the broker's device sign-in issue.
      await repo.moveDeviceStatus(db, { deviceId: row.id, ...deviceTransitions.disable, at: clock.now() });
    },

    /** EnableThing (fleet-api §6.2, states.md D7; D10: enabling an enabled device succeeds, unchanged). */
    async enable(scope: Scope, ref: DeviceRef): Promise<void> {
      const { row } = await resolveDevice(scope, ref);
      if (row.status !== 'DISABLE') return;
      const transition = row.activated_at !== null ? deviceTransitions.enableActivated : deviceTransitions.enableNeverActivated;
      await repo.moveDeviceStatus(db, { deviceId: row.id, ...transition, at: clock.now() });
    },

    /**
     * DeleteDevice (fleet-api §6.3, states.md D8): soft delete plus removal of group memberships, tags and
     * reported module versions, all in one transaction; the name is free again at once.
     */
    async delete(scope: Scope, ref: DeviceRef): Promise<void> {
      const { row } = await resolveDevice(scope, ref);
      // Closing the MQTT session and cancelling open OTA tasks (states.md §4.7) come with later issues.
      await inTransaction(db, async (tx) => {
        // A concurrent DeleteDevice won the race: answer like the device were already gone.
        if (!(await repo.markDeviceDeleted(tx, row.id, clock.now()))) throw new BusinessError('iot.device.NotExistedDevice');
        await repo.deleteDeviceAttachments(tx, row.id);
      });
    },
  };
}

export type DeviceLifecycle = ReturnType<typeof createDeviceLifecycle>;
