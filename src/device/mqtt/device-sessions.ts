import type { Client } from 'aedes';
import type { SignInDevice } from '../../domain/device/sign-in-directory.js';

/** A signed-in device's connection. */
export interface DeviceSession {
  readonly device: SignInDevice;
  readonly client: Client;
  readonly ip: string | undefined;
}

/**
 * Which connection is a device's current one. A second sign-in of the same device replaces the first
 * (device-protocol.md §1); the first one's end must then not mark the device OFFLINE, so ends are counted
 * only for the session that is still current.
 */
export function createDeviceSessions() {
  const byClient = new WeakMap<Client, DeviceSession>();
  const current = new Map<string, DeviceSession>();
  return {
    bind(session: DeviceSession): void {
      byClient.set(session.client, session);
      current.set(session.device.rowId, session);
    },
    of(client: Client): DeviceSession | undefined {
      return byClient.get(client);
    },
    currentOf(deviceRowId: string): DeviceSession | undefined {
      return current.get(deviceRowId);
    },
    /** Ends the client's session; returns it when it was the device's current one (the device is offline now). */
    end(client: Client): DeviceSession | undefined {
      const session = byClient.get(client);
      if (session === undefined || current.get(session.device.rowId) !== session) return undefined;
      current.delete(session.device.rowId);
      return session;
    },
    get size(): number {
      return current.size;
    },
    all(): IterableIterator<DeviceSession> {
      return current.values();
    },
  };
}

export type DeviceSessions = ReturnType<typeof createDeviceSessions>;
