import type { Db } from '../../storage/db.js';
import { inTransaction } from '../../storage/db.js';
import * as repo from '../../storage/repos/device-repo.js';
import type { DeviceRow } from '../../storage/repos/device-repo.js';
import type { ProductRow } from '../../storage/repos/product-repo.js';
import type { Scope } from '../account/account-service.js';
import type { Clock } from '../clock.js';
import { BusinessError } from '../errors.js';
import type { DeviceChangeFeed } from './device-change-feed.js';
import type { DeviceRef } from './device-service.js';
import { deviceTransitions } from './device-transitions.js';

export interface DeviceLifecycleDeps {
  db: Db;
  clock: Clock;
  resolveDevice(scope: Scope, ref: DeviceRef): Promise<{ row: DeviceRow; product: ProductRow }>;
  changes: DeviceChangeFeed;
}

/** Disable, enable, delete (fleet-api §6, states.md §5). */
export function createDeviceLifecycle(deps: DeviceLifecycleDeps) {
  const { db, clock, resolveDevice, changes } = deps;
  const notify = (kind: 'disabled' | 'enabled' | 'deleted', row: DeviceRow, product: ProductRow) =>
    changes.publish({ kind, deviceId: row.id, productKey: product.product_key, deviceName: row.device_name });

  return {
    /** DisableThing (fleet-api §6.1, states.md D6; D10: disabling a disabled device succeeds, unchanged). */
    async disable(scope: Scope, ref: DeviceRef): Promise<void> {
      const { row, product } = await resolveDevice(scope, ref);
      if (row.status === 'DISABLE') return;
      await repo.moveDeviceStatus(db, { deviceId: row.id, ...deviceTransitions.disable, at: clock.now() });
      // The MQTT gateway closes the open session and forgets the cached credentials (states.md D6).
      notify('disabled', row, product);
    },

    /** EnableThing (fleet-api §6.2, states.md D7; D10: enabling an enabled device succeeds, unchanged). */
    async enable(scope: Scope, ref: DeviceRef): Promise<void> {
      const { row, product } = await resolveDevice(scope, ref);
      if (row.status !== 'DISABLE') return;
      const transition = row.activated_at !== null ? deviceTransitions.enableActivated : deviceTransitions.enableNeverActivated;
      await repo.moveDeviceStatus(db, { deviceId: row.id, ...transition, at: clock.now() });
      notify('enabled', row, product);
    },

    /**
     * DeleteDevice (fleet-api §6.3, states.md D8): soft delete plus removal of group memberships, tags and
     * reported module versions, all in one transaction; the name is free again at once.
     */
    async delete(scope: Scope, ref: DeviceRef): Promise<void> {
      const { row, product } = await resolveDevice(scope, ref);
      // Cancelling open OTA tasks (states.md §4.7) comes with the rollout engine.
      await inTransaction(db, async (tx) => {
        // A concurrent DeleteDevice won the race: answer like the device were already gone.
        if (!(await repo.markDeviceDeleted(tx, row.id, clock.now()))) throw new BusinessError('iot.device.NotExistedDevice');
        await repo.deleteDeviceAttachments(tx, row.id);
      });
      // The MQTT gateway closes the open session (states.md D8).
      notify('deleted', row, product);
    },
  };
}

export type DeviceLifecycle = ReturnType<typeof createDeviceLifecycle>;
