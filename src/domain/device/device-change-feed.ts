/**
 * In-process notices that a device's sign-in facts changed, so the MQTT side can drop cached credentials and
 * close sessions that must end (states.md §5 D6 DisableThing, D8 DeleteDevice; a new secret from dynamic
 * registration). Several instances on one database will need these carried between processes (a later issue).
 */
export type DeviceChange =
  | { readonly kind: 'disabled' | 'deleted' | 'secretChanged'; readonly deviceId: string; readonly productKey: string; readonly deviceName: string }
  | { readonly kind: 'enabled'; readonly deviceId: string; readonly productKey: string; readonly deviceName: string };

export interface DeviceChangeFeed {
  publish(change: DeviceChange): void;
  /** Returns the function that stops listening. */
  subscribe(listener: (change: DeviceChange) => void): () => void;
}

export function createDeviceChangeFeed(): DeviceChangeFeed {
  const listeners = new Set<(change: DeviceChange) => void>();
  return {
    publish(change) {
      for (const listener of listeners) listener(change);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
