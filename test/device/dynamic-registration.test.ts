import { createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registrationSign } from '../../src/domain/device/dynamic-registration-service.js';
import { iot, sdkClient } from '../support/clients.js';
import { deviceRow, registerDevice, type Registered } from '../support/device-fixtures.js';
import { testDialects } from '../support/dialects.js';
import { connectDevice, refusalCode, signInFields } from '../support/mqtt-device.js';
import { sendRaw, type RawResponse } from '../support/raw-http.js';
import { startTestServer, type TestServer } from '../support/server.js';

// device-protocol.md §2.5: POST /auth/register/device, "one product, one secret" for pre-registered devices.

type SignMethod = 'hmacsha1' | 'hmacsha256' | 'hmacmd5';
const ALGORITHMS: Record<SignMethod, string> = { hmacsha1: 'sha1', hmacsha256: 'sha256', hmacmd5: 'md5' };
const FORM = 'application/x-www-form-urlencoded';

/** The Node device SDK (CommonJS); its `register` posts the form with axios to `registerURL`. */
interface NodeDeviceSdk {
  register(
    options: { productKey: string; productSecret: string; deviceName: string; registerURL: string; random?: string },
    callback: (answer: { code: number; data?: { deviceSecret: string } }) => void,
  ): void;
}
const nodeSdk = createRequire(import.meta.url)('alibabacloud-iot-device-sdk') as NodeDeviceSdk;

function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

function signed(productSecret: string, pk: string, dn: string, signMethod: SignMethod = 'hmacsha1', random = 'r' + Math.random().toString(36).slice(2)) {
  const sign = createHmac(ALGORITHMS[signMethod], productSecret).update(`deviceName${dn}productKey${pk}random${random}`).digest('hex');
  return { productKey: pk, deviceName: dn, random, signMethod, sign };
}

it('signs the spec vector', () => {
  const request = { productKey: 'a1pk', deviceName: 'dev1', random: 'abc123', signMethod: 'hmacsha1' };
  expect(registrationSign('psecret', request)).toBe('f06961595db008cae56b59e4da0f121ceb162b41');
  expect(signed('psecret', 'a1pk', 'dev1', 'hmacsha1', 'abc123').sign).toBe('f06961595db008cae56b59e4da0f121ceb162b41');
});

describe.each(testDialects())('dynamic registration over HTTP (%s)', (dialect) => {
  let server: TestServer;
  let sdk: ReturnType<typeof sdkClient>;
  let productKey: string;
  let productSecret: string;
  let offProductKey: string;
  let offProductSecret: string;
  let registerUrl: string;

  async function newProduct(name: string): Promise<{ key: string; secret: string }> {
    const res = await sdk.createProduct(new iot.CreateProductRequest({ productName: name, nodeType: 0 }));
    return { key: res.body.productKey!, secret: res.body.data!.productSecret! };
  }

  beforeAll(async () => {
    server = await startTestServer(dialect);
    sdk = sdkClient(server.endpoint, server.key);
    ({ key: productKey, secret: productSecret } = await newProduct('dynreg_on'));
    ({ key: offProductKey, secret: offProductSecret } = await newProduct('dynreg_off'));
    expect(await server.service.services.dynamicRegistration.setEnabled(productKey, true)).toEqual({ productKey, dynamicRegistration: true });
    registerUrl = `${server.url}/auth/register/device`;
  });
  afterAll(async () => server.stop());

  function post(body: string, headers: Record<string, string> = { 'content-type': FORM }, method = 'POST'): Promise<RawResponse> {
    return sendRaw(server.url, { method, path: '/auth/register/device', rawQuery: '', headers, body });
  }

  async function register(fields: Record<string, string>): Promise<{ code: unknown; data?: Record<string, unknown>; status: number }> {
    const res = await post(form(fields));
    expect(res.contentType).toMatch(/^application\/json/);
    return { ...(res.json as { code: unknown; data?: Record<string, unknown> }), status: res.status };
  }

  it('issues a new secret that signs in over MQTT; the old one no longer does', async () => {
    const device = await registerDevice(sdk, productKey, 'dyn_ok');
    const before = await deviceRow(server, device.iotId);
    const res = await post(form(signed(productSecret, productKey, 'dyn_ok')));
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ code: 200, message: 'success', data: { productKey, deviceName: 'dyn_ok', deviceSecret: expect.stringMatching(/^[A-Za-z0-9]{32}$/) } });
    const deviceSecret = (res.json!.data as { deviceSecret: string }).deviceSecret;
    expect(deviceSecret).not.toBe(device.deviceSecret);
    // Stored encrypted, like RegisterDevice's.
    const after = await deviceRow(server, device.iotId);
    expect(after.device_secret_enc).not.toBe(before.device_secret_enc);
    expect(after.device_secret_enc).not.toContain(deviceSecret);
    // QueryDeviceDetail hands out the new one.
    const detail = await sdk.queryDeviceDetail(new iot.QueryDeviceDetailRequest({ iotId: device.iotId }));
    expect(detail.body.data?.deviceSecret).toBe(deviceSecret);

    expect(await refusalCode(server.service.mqttUrl, signInFields(device))).toBe(5);
    const client = await connectDevice(server.service.mqttUrl, signInFields({ ...device, deviceSecret }));
    await client.endAsync();
  });

  it('forgets a secret the sign-in cache already held (secretChanged)', async () => {
    const device = await registerDevice(sdk, productKey, 'dyn_cached');
    // A refused sign-in with a wrong secret puts the device in the sign-in cache without activating it.
    expect(await refusalCode(server.service.mqttUrl, signInFields({ ...device, deviceSecret: 'wrong' }))).toBe(5);
    const first = await register(signed(productSecret, productKey, 'dyn_cached'));
    const second = await register(signed(productSecret, productKey, 'dyn_cached'));
    expect([first.code, second.code]).toEqual([200, 200]);
    // Re-registration before activation issues yet another secret; only the newest signs in.
    expect(second.data!.deviceSecret).not.toBe(first.data!.deviceSecret);
    expect(await refusalCode(server.service.mqttUrl, signInFields({ ...device, deviceSecret: first.data!.deviceSecret as string }))).toBe(5);
    const client = await connectDevice(server.service.mqttUrl, signInFields({ ...device, deviceSecret: second.data!.deviceSecret as string }));
    await client.endAsync();
  });

  it.each<SignMethod>(['hmacsha256', 'hmacmd5'])('accepts %s', async (signMethod) => {
    await registerDevice(sdk, productKey, `dyn_${signMethod}`);
    const res = await register(signed(productSecret, productKey, `dyn_${signMethod}`, signMethod));
    expect(res.code).toBe(200);
  });

  it('accepts an upper-case hex sign and any case of signMethod', async () => {
    await registerDevice(sdk, productKey, 'dyn_upper');
    const fields = signed(productSecret, productKey, 'dyn_upper', 'hmacsha256');
    expect((await register({ ...fields, sign: fields.sign.toUpperCase(), signMethod: 'HmacSHA256' })).code).toBe(200);
  });

  it('answers 6288 while the product switch is off (the default), also for a correct signature', async () => {
    await registerDevice(sdk, offProductKey, 'dyn_off');
    expect(await register(signed(offProductSecret, offProductKey, 'dyn_off'))).toMatchObject({ code: 6288, status: 200 });
    // A wrong signature still comes first: nothing about the switch shows without the ProductSecret.
    expect((await register(signed('not-the-secret', offProductKey, 'dyn_off'))).code).toBe(6600);
  });

  it('answers 6289 for a device that signed in once', async () => {
    const device = await registerDevice(sdk, productKey, 'dyn_active');
    const client = await connectDevice(server.service.mqttUrl, signInFields(device));
    await client.endAsync();
    expect(await register(signed(productSecret, productKey, 'dyn_active'))).toMatchObject({ code: 6289, status: 200 });
    // The secret is unchanged.
    const again = await connectDevice(server.service.mqttUrl, signInFields(device));
    await again.endAsync();
  });

  it('answers 6600 for a wrong signature, a wrong product secret and an unknown product', async () => {
    const device: Registered = await registerDevice(sdk, productKey, 'dyn_sig');
    const good = signed(productSecret, productKey, 'dyn_sig');
    expect((await register({ ...good, sign: good.sign.replace(/.$/, (c) => (c === '0' ? '1' : '0')) })).code).toBe(6600);
    expect((await register({ ...good, sign: good.sign.slice(2) })).code).toBe(6600);
    expect((await register({ ...good, random: good.random + 'x' })).code).toBe(6600);
    // A SHA-1 digest declared as hmacsha256 (what the Node SDK sends when told hmacsha256).
    expect((await register({ ...good, signMethod: 'hmacsha256' })).code).toBe(6600);
    expect((await register(signed(offProductSecret, productKey, 'dyn_sig'))).code).toBe(6600);
    expect((await register(signed(productSecret, 'a1NoSuchPk1', 'dyn_sig'))).code).toBe(6600);
    // None of these changed the secret.
    const client = await connectDevice(server.service.mqttUrl, signInFields(device));
    await client.endAsync();
  });

  it('answers 6292 for an unsupported sign method', async () => {
    await registerDevice(sdk, productKey, 'dyn_method');
    expect((await register({ ...signed(productSecret, productKey, 'dyn_method'), signMethod: 'hmacsha512' })).code).toBe(6292);
    expect((await register({ ...signed(productSecret, productKey, 'dyn_method'), signMethod: 'sha1' })).code).toBe(6292);
  });

  it('answers 460 for an unknown, a deleted or a disabled device (after the signature)', async () => {
    expect((await register(signed(productSecret, productKey, 'dyn_nobody'))).code).toBe(460);
    const deleted = await registerDevice(sdk, productKey, 'dyn_deleted');
    await sdk.deleteDevice(new iot.DeleteDeviceRequest({ iotId: deleted.iotId }));
    expect((await register(signed(productSecret, productKey, 'dyn_deleted'))).code).toBe(460);
    const disabled = await registerDevice(sdk, productKey, 'dyn_disabled');
    await sdk.disableThing(new iot.DisableThingRequest({ iotId: disabled.iotId }));
    expect((await register(signed(productSecret, productKey, 'dyn_disabled'))).code).toBe(460);
    // An unknown device of an unknown product is a signature failure: nothing shows without the secret.
    expect((await register(signed(productSecret, 'a1NoSuchPk2', 'dyn_nobody'))).code).toBe(6600);
  });

  it('answers 460 for missing, empty, repeated or malformed fields', async () => {
    const good = signed(productSecret, productKey, 'dyn_fields');
    for (const field of Object.keys(good) as (keyof typeof good)[]) {
      const { [field]: _, ...rest } = good;
      expect(await register(rest)).toMatchObject({ code: 460, status: 200 });
      expect((await register({ ...good, [field]: '' })).code).toBe(460);
    }
    expect((await post(`${form(good)}&productKey=${productKey}`)).json).toMatchObject({ code: 460 });
    expect((await register({ ...good, deviceName: 'bad name' })).code).toBe(460);
    expect((await register({ ...good, random: 'x'.repeat(500) })).code).toBe(460);
    expect((await register({ ...good, productKey: '\u00e9\u0000' })).code).toBe(460);
    expect((await post('%%%&&&===')).json).toMatchObject({ code: 460 });
    expect((await post('')).json).toMatchObject({ code: 460 });
  });

  it('refuses other bodies and methods without a 5xx', async () => {
    const good = signed(productSecret, productKey, 'dyn_bodies');
    const json = await post(JSON.stringify(good), { 'content-type': 'application/json' });
    expect([json.status, json.json?.code]).toEqual([200, 460]);
    const text = await post(form(good), { 'content-type': 'text/plain' });
    expect([text.status, text.json?.code]).toEqual([200, 460]);
    const none = await post(form(good), {});
    expect([none.status, none.json?.code]).toEqual([200, 460]);
    const multipart = await post('--x\r\n\r\n--x--\r\n', { 'content-type': 'multipart/form-data; boundary=x' });
    expect([multipart.status, multipart.json?.code]).toEqual([200, 460]);
    const huge = await post(form({ ...good, random: 'x'.repeat(1024 * 1024) }));
    expect([huge.status, huge.json?.code]).toEqual([200, 460]);
    const get = await sendRaw(server.url, { method: 'GET', path: '/auth/register/device', rawQuery: form(good), headers: {}, body: '' });
    expect([get.status, get.json?.code]).toEqual([405, 460]);
  });

  it('works with the Node device SDK (alibabacloud-iot-device-sdk register with registerURL)', async () => {
    const device = await registerDevice(sdk, productKey, 'dyn_node_sdk');
    const viaSdk = (deviceName: string, secret: string) =>
      new Promise<{ code: number; data?: { deviceSecret: string } }>((resolve) =>
        nodeSdk.register({ productKey, productSecret: secret, deviceName, registerURL: registerUrl }, resolve),
      );
    const answer = await viaSdk('dyn_node_sdk', productSecret);
    expect(answer.code).toBe(200);
    const client = await connectDevice(server.service.mqttUrl, signInFields({ ...device, deviceSecret: answer.data!.deviceSecret }));
    await client.endAsync();
    // The SDK hands a failure to the callback as the answer body.
    expect((await viaSdk('dyn_node_sdk', 'wrongsecret')).code).toBe(6600);
    expect((await viaSdk('dyn_node_sdk', productSecret)).code).toBe(6289);
  });
});
