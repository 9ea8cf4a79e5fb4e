import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type DeviceBroker, startBroker } from '../../src/device/mqtt/broker.js';
import { createDeviceChangeFeed } from '../../src/domain/device/device-change-feed.js';
import type { PresenceService } from '../../src/domain/device/presence-service.js';
import type { SignInDevice } from '../../src/domain/device/sign-in-directory.js';
import type { OtaDeviceEvents } from '../../src/domain/rollout/device-ota-events.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { connectDevice, eventually, signInFields } from '../support/mqtt-device.js';

/**
 * The broker alone, with an in-memory directory and presence: what it tells the OTA side (§6.2 rule 3: push
 * once the device listens on its upgrade topic) is observed directly. Storage is covered by presence.test.ts.
 */
const device: SignInDevice = {
  rowId: '1',
  iotId: 'iot1',
  accountId: 'acc',
  instanceId: 'inst',
  productId: 'prod',
  productKey: 'a1Ready',
  deviceName: 'dev1',
  deviceSecret: 'secret1',
  disabled: false,
};

describe('broker → OTA events', () => {
  let broker: DeviceBroker;
  const ready: string[] = [];
  const offline: string[] = [];

  beforeEach(async () => {
    ready.length = 0;
    offline.length = 0;
    const events = {
      readyForPush: (d) => ready.push(d.deviceName),
      wentOffline: (d) => offline.push(d.deviceName),
      versionReported: async () => undefined,
      progressReported: async () => undefined,
      pendingUpdate: async () => undefined,
    } satisfies OtaDeviceEvents;
    const presence = {
      signedIn: async () => undefined,
      signedOut: async () => undefined,
      drain: async () => undefined,
      forgetEarlierSessions: async () => 0,
    } as PresenceService;
    broker = await startBroker(
      { host: '127.0.0.1', port: 0 },
      {
        directory: { find: async (pk, dn) => (pk === device.productKey && dn === device.deviceName ? device : undefined), size: 0 },
        presence,
        events,
        handlers: {},
        changes: createDeviceChangeFeed(),
        metrics: createMetrics({ processMetrics: false }),
        log: pino({ level: 'silent' }),
      },
    );
  });
  afterEach(async () => broker.close());

  it.each(['/ota/device/upgrade/a1Ready/dev1', '/ota/device/upgrade/+/+', '/ota/device/upgrade/a1Ready/+'])(
    'a subscription to %s announces the device ready for a push',
    async (filter) => {
      const client = await connectDevice(`mqtt://127.0.0.1:${broker.port}`, signInFields(device));
      await client.subscribeAsync('/sys/+/+/thing/config/push', { qos: 1 });
      expect(ready).toEqual([]);
      await client.subscribeAsync(filter, { qos: 1 });
      expect(ready).toEqual(['dev1']);
      await client.endAsync();
      await eventually(async () => (offline.length === 1 ? true : undefined), 'wentOffline');
    },
  );

  it('a persistent session restored with its wildcard upgrade subscription announces the device at sign-in', async () => {
    const url = `mqtt://127.0.0.1:${broker.port}`;
    const first = await connectDevice(url, signInFields(device), { clean: false });
    await first.subscribeAsync('/ota/device/upgrade/+/+', { qos: 1 });
    await first.endAsync();
    ready.length = 0;
    const second = await connectDevice(url, signInFields(device), { clean: false });
    await eventually(async () => (ready.length > 0 ? true : undefined), 'readyForPush');
    expect(ready).toEqual(['dev1']);
    await second.endAsync();
  });
});
