import { type Db, inTransaction } from '../../storage/db.js';
import { createGroupCommit } from '../../storage/group-commit.js';
import { applyPresence, markEveryDeviceOffline, type PresenceChange } from '../../storage/repos/device-session-repo.js';
import type { Clock } from '../clock.js';

/**
 * Device presence from MQTT sessions (states.md §5 D2–D5), written with group commit: 10,000 sign-ins a
 * minute are a few dozen transactions, not 10,000 (issue 5). A sign-in resolves once ONLINE is durable, so
 * the CONNACK a device receives means GetDeviceStatus already says ONLINE; sign-outs are not waited for.
 */
export function createPresenceService(deps: { db: Db; clock: Clock }) {
  const { db, clock } = deps;
  const commits = createGroupCommit<PresenceChange>((changes) => inTransaction(db, (tx) => applyPresence(tx, changes)));
  return {
    signedIn(deviceRowId: string, ip: string | undefined): Promise<void> {
      return commits.add({ deviceId: deviceRowId, online: true, at: clock.now(), ip });
    },
    signedOut(deviceRowId: string): Promise<void> {
      return commits.add({ deviceId: deviceRowId, online: false, at: clock.now() });
    },
    /** Every queued change written: at shutdown, after the broker closed its sessions. */
    drain(): Promise<void> {
      return commits.drain();
    },
    /** At start, before the broker listens: sessions of an earlier process are gone. */
    async forgetEarlierSessions(): Promise<number> {
      return markEveryDeviceOffline(db, clock.now());
    },
  };
}

export type PresenceService = ReturnType<typeof createPresenceService>;
