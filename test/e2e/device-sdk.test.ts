import iotDevice, { type Device } from 'alibabacloud-iot-device-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iot, sdkClient } from '../support/clients.js';
import { createProduct, registerDevice, type Registered } from '../support/device-fixtures.js';
import { testDialects } from '../support/dialects.js';
import { eventually } from '../support/mqtt-device.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * The real Node device SDK (alibabacloud-iot-device-sdk 1.2.8, mqtt@3 inside) against Flotilla: sign-in
 * (device-protocol.md §2.3), the subscriptions it makes on connect (§3), a message on its upgrade topic.
 */
describe.each(testDialects())('Node device SDK 1.2.8 (%s)', (dialect) => {
  let server: TestServer;
  let sdk: ReturnType<typeof sdkClient>;
  let productKey: string;

  beforeAll(async () => {
    server = await startTestServer(dialect);
    sdk = sdkClient(server.endpoint, server.key);
    productKey = await createProduct(sdk, 'nodesdk');
  });
  afterAll(async () => server.stop());

  async function status(device: Registered): Promise<string | undefined> {
    return (await sdk.getDeviceStatus(new iot.GetDeviceStatusRequest({ iotId: device.iotId }))).body.data?.status;
  }

  async function metric(name: string): Promise<number> {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return line === undefined ? 0 : Number(line.split(' ')[1]);
  }

  function sdkDevice(device: Registered, extra: { signAlgorithm?: 'sha256' } = {}): Device {
    return iotDevice.device({
      productKey: device.productKey,
      deviceName: device.deviceName,
      deviceSecret: device.deviceSecret,
      brokerUrl: server.service.mqttUrl,
      ...extra,
    });
  }

  function end(device: Device): Promise<void> {
    return new Promise((resolve) => device.end(false, () => resolve()));
  }

  it('signs in, gets every subscription it makes on connect, and receives a message on its upgrade topic', async () => {
    const registered = await registerDevice(sdk, productKey, 'node_sdk_dev');
    const deniedBefore = await metric('flotilla_device_subscriptions_denied_total');
    const device = sdkDevice(registered);
    // Record the SUBACK of every subscription the SDK makes (it subscribes its preset topics on 'connect').
    const grants: { topic: string; qos: number }[] = [];
    let requested = 0;
    const mqttClient = device._mqttClient;
    const subscribe = mqttClient.subscribe.bind(mqttClient);
    mqttClient.subscribe = (topic, options, callback) => {
      requested++;
      subscribe(topic, options, (err, granted) => {
        grants.push(...(granted ?? [{ topic, qos: err ? -1 : 0 }]));
        callback?.(err, granted);
      });
    };
    await new Promise<void>((resolve, reject) => {
      device.once('connect', () => resolve());
      device.once('error', (args: unknown) => reject(new Error(`SDK error ${String(args)}`)));
    });
    expect(await status(registered)).toBe('ONLINE');

    await eventually(async () => (requested > 0 && grants.length === requested ? true : undefined), 'preset SUBACKs');
    expect(requested).toBeGreaterThanOrEqual(16);
    expect(grants.filter((g) => g.qos !== 1)).toEqual([]);
    expect(await metric('flotilla_device_subscriptions_denied_total')).toBe(deniedBefore);

    const upgradeTopic = `/ota/device/upgrade/${registered.productKey}/${registered.deviceName}`;
    const granted = await new Promise<number>((resolve, reject) =>
      device.subscribe(upgradeTopic, { qos: 1 }, (err, g) => (err ? reject(err) : resolve(g[0]!.qos))),
    );
    expect(granted).toBe(1);
    const received = new Promise<[string, string]>((resolve) => device.on('message', (topic: string, payload: Buffer) => resolve([topic, payload.toString()])));
    const push = JSON.stringify({ code: '1000', message: 'success', id: 1, data: { version: '2.0.0' } });
    await server.service.broker.publish(upgradeTopic, push, 1);
    expect(await received).toEqual([upgradeTopic, push]);

    await end(device);
    await eventually(async () => ((await status(registered)) === 'OFFLINE' ? true : undefined), 'OFFLINE');
  });

  it('is refused with signAlgorithm sha256 (it declares hmacsha256 but signs with SHA-1, §2.3)', async () => {
    const registered = await registerDevice(sdk, productKey, 'node_sdk_sha256');
    const device = sdkDevice(registered, { signAlgorithm: 'sha256' });
    const code = await new Promise<unknown>((resolve) => {
      device.once('connect', () => resolve('connected'));
      // The SDK re-emits mqtt's events with their arguments in one array.
      device.once('error', (args: unknown[]) => resolve((args[0] as { code?: number }).code));
    });
    // mqtt@3 would retry every second: stop it.
    device._mqttClient.end(true);
    expect(code).toBe(5);
    expect(await status(registered)).toBe('UNACTIVE');
  });
});
