import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iot, sdkClient } from '../support/clients.js';
import { createProduct, registerDevice, type Registered } from '../support/device-fixtures.js';
import { testDialects } from '../support/dialects.js';
import { connectDevice, eventually, refusalCode, signInFields, type SignMethod } from '../support/mqtt-device.js';
import { startTestServer, type TestServer } from '../support/server.js';

describe.each(testDialects())('MQTT sign-in (%s)', (dialect) => {
  let server: TestServer;
  let sdk: ReturnType<typeof sdkClient>;
  let productKey: string;
  let mqttUrl: string;

  beforeAll(async () => {
    server = await startTestServer(dialect);
    sdk = sdkClient(server.endpoint, server.key);
    productKey = await createProduct(sdk, 'signin');
    mqttUrl = server.service.mqttUrl;
  });
  afterAll(async () => server.stop());

  async function status(device: Registered): Promise<string | undefined> {
    const res = await sdk.getDeviceStatus(new iot.GetDeviceStatusRequest({ iotId: device.iotId }));
    return res.body.data?.status;
  }

  it.each<[SignMethod, 'node' | 'c4']>([
    ['hmacsha1', 'node'],
    ['hmacsha256', 'node'],
    ['hmacmd5', 'node'],
    ['hmacsha256', 'c4'],
    ['hmacsha1', 'c4'],
  ])('accepts %s with %s-style ClientId and reports ONLINE, then OFFLINE after DISCONNECT', async (signMethod, style) => {
    const device = await registerDevice(sdk, productKey, `dev_${signMethod}_${style}`);
    expect(await status(device)).toBe('UNACTIVE');
    const client = await connectDevice(mqttUrl, signInFields(device, { signMethod, style }));
    // The sign-in is durable before CONNACK: no waiting needed.
    expect(await status(device)).toBe('ONLINE');
    const detail = await sdk.queryDeviceDetail(new iot.QueryDeviceDetailRequest({ iotId: device.iotId }));
    expect(detail.body.data?.ipAddress).toBe('127.0.0.1');
    expect(detail.body.data?.utcActive).toBeTruthy();
    await client.endAsync();
    await eventually(async () => ((await status(device)) === 'OFFLINE' ? true : undefined), 'OFFLINE');
  });

  it('accepts a ClientId without timestamp (not signed then)', async () => {
    const device = await registerDevice(sdk, productKey, 'dev_no_ts');
    const client = await connectDevice(mqttUrl, signInFields(device, { noTimestamp: true }));
    await client.endAsync();
  });

  it('refuses a wrong secret, an unknown device and a disabled device with 5', async () => {
    const device = await registerDevice(sdk, productKey, 'dev_refused');
    expect(await refusalCode(mqttUrl, signInFields({ ...device, deviceSecret: 'wrong' }))).toBe(5);
    expect(await refusalCode(mqttUrl, signInFields({ ...device, deviceName: 'nobody' }))).toBe(5);
    expect(await refusalCode(mqttUrl, signInFields({ ...device, productKey: 'a1NoSuchPk' }))).toBe(5);
    await sdk.disableThing(new iot.DisableThingRequest({ iotId: device.iotId }));
    expect(await refusalCode(mqttUrl, signInFields(device))).toBe(5);
    expect(await status(device)).toBe('DISABLE');
  });

  it('refuses malformed ClientId (2) and username/password/signmethod (4)', async () => {
    const device = await registerDevice(sdk, productKey, 'dev_malformed');
    const good = signInFields(device);
    expect(await refusalCode(mqttUrl, { ...good, clientId: 'plain-client-id' })).toBe(2);
    expect(await refusalCode(mqttUrl, { ...good, username: `${device.deviceName}${device.productKey}` })).toBe(4);
    expect(await refusalCode(mqttUrl, { ...good, password: undefined })).toBe(4);
    expect(await refusalCode(mqttUrl, { ...good, clientId: good.clientId.replace('hmacsha1', 'hmacsha512') })).toBe(4);
    // An SHA-1 digest under a declared hmacsha256 (the Node SDK bug, §2.3) is refused.
    const sha1 = signInFields(device, { signMethod: 'hmacsha1' });
    expect(await refusalCode(mqttUrl, { ...sha1, clientId: sha1.clientId.replace('hmacsha1', 'hmacsha256') })).toBe(5);
  });

  it('a second sign-in of the same device closes the first and the device stays ONLINE', async () => {
    const device = await registerDevice(sdk, productKey, 'dev_twice');
    const first = await connectDevice(mqttUrl, signInFields(device));
    const firstClosed = new Promise<void>((resolve) => first.once('close', () => resolve()));
    const second = await connectDevice(mqttUrl, signInFields(device, { style: 'c4' }));
    await firstClosed;
    // Give a wrongly recorded OFFLINE of the first session time to land before checking.
    await new Promise((r) => setTimeout(r, 200));
    expect(await status(device)).toBe('ONLINE');
    await second.endAsync();
    await eventually(async () => ((await status(device)) === 'OFFLINE' ? true : undefined), 'OFFLINE');
  });

  it('DisableThing and DeleteDevice close the open session', async () => {
    const device = await registerDevice(sdk, productKey, 'dev_kicked');
    const client = await connectDevice(mqttUrl, signInFields(device));
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    await sdk.disableThing(new iot.DisableThingRequest({ iotId: device.iotId }));
    await closed;
    expect(await status(device)).toBe('DISABLE');

    const other = await registerDevice(sdk, productKey, 'dev_deleted');
    const otherClient = await connectDevice(mqttUrl, signInFields(other));
    const otherClosed = new Promise<void>((resolve) => otherClient.once('close', () => resolve()));
    await sdk.deleteDevice(new iot.DeleteDeviceRequest({ iotId: other.iotId }));
    await otherClosed;
    expect(await refusalCode(mqttUrl, signInFields(other))).toBe(5);
  });
});
