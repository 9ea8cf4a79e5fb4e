import type { DeviceStatus } from './device-service.js';

/**
 * Device status changes made by management calls (states.md §5). Sign-in and session end (D2–D5) belong
 * to the MQTT side. Every change also sets the status time (GetDeviceStatus `Timestamp`) and modified time.
 */
export const deviceTransitions = {
  // D6
  disable: { from: ['UNACTIVE', 'ONLINE', 'OFFLINE'], to: 'DISABLE' },
  // D7 (unconfirmed): back to OFFLINE when the device ever signed in …
  enableActivated: { from: ['DISABLE'], to: 'OFFLINE' },
  // … else UNACTIVE, as if newly registered.
  enableNeverActivated: { from: ['DISABLE'], to: 'UNACTIVE' },
} as const satisfies Record<string, { from: readonly DeviceStatus[]; to: DeviceStatus }>;
