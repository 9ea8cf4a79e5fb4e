import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sdkClient } from '../support/clients.js';
import { createProduct, deviceRow, registerDevice, type Registered } from '../support/device-fixtures.js';
import { testDialects } from '../support/dialects.js';
import { connectDevice, signInFields } from '../support/mqtt-device.js';
import { firmwareVersion, messageQueue, metricValue, moduleVersions, otaTopics, progressRows } from '../support/ota-device.js';
import { startTestServer, type TestServer } from '../support/server.js';

const DENIED = 'flotilla_device_publishes_denied_total';
const MESSAGES = 'flotilla_device_messages_total';

describe.each(testDialects())('OTA topics (%s)', (dialect) => {
  let server: TestServer;
  let sdk: ReturnType<typeof sdkClient>;
  let productKey: string;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    server = await startTestServer(dialect);
    sdk = sdkClient(server.endpoint, server.key);
    productKey = await createProduct(sdk, 'ota_topics');
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await server.stop();
  });

  async function online(name: string, style: 'node' | 'c4' = 'node'): Promise<{ device: Registered; client: MqttClient; topics: ReturnType<typeof otaTopics>; rowId: string }> {
    const device = await registerDevice(sdk, productKey, name);
    const client = await connectDevice(server.service.mqttUrl, signInFields(device, { style }));
    clients.push(client);
    return { device, client, topics: otaTopics(device), rowId: (await deviceRow(server, device.iotId)).id };
  }

  // QoS 1: PUBACK comes after the handler, which resolves once the report is committed.
  const send = (client: MqttClient, topic: string, payload: string | Buffer) => client.publishAsync(topic, payload, { qos: 1 });

  it('records inform per module: numeric and string ids, module absent = default, trailing comma tolerated', async () => {
    const { device, client, topics } = await online('dev_inform', 'c4');
    await send(client, topics.inform, JSON.stringify({ id: 1, params: { version: '1.0.0' } }));
    await send(client, topics.inform, JSON.stringify({ id: '2', params: { version: '0.9', module: 'MCU' } }));
    expect(await moduleVersions(sdk, device.iotId)).toEqual({ default: '1.0.0', MCU: '0.9' });
    // fleet-api §5.1: FirmwareVersion is the default module's version only.
    expect(await firmwareVersion(sdk, device.iotId)).toBe('1.0.0');

    // §4.7 quirk; `Default` names the default module (module names are case-insensitive).
    await send(client, topics.inform, '{"id":4294967295,"params":{"version":"1.0.1","module":"Default",},}');
    await send(client, topics.inform, JSON.stringify({ id: 'a3f1-guid|exp-topic|x', params: { version: '1.0', module: 'MCU' } }));
    expect(await moduleVersions(sdk, device.iotId)).toEqual({ default: '1.0.1', MCU: '1.0' });
    expect(await firmwareVersion(sdk, device.iotId)).toBe('1.0.1');
  });

  it('records progress per module; out-of-range steps are ignored', async () => {
    const { client, topics, rowId } = await online('dev_progress');
    const ignoredBefore = await metricValue(server, MESSAGES, { topic: 'progress', outcome: 'ignored' });
    await send(client, topics.progress, JSON.stringify({ id: '124', params: { step: '45', desc: 'downloading' } }));
    await send(client, topics.progress, JSON.stringify({ id: 125, params: { step: -2, desc: 'download failed', module: 'MCU' } }));
    expect(await progressRows(server, rowId)).toEqual([
      { module_name: 'MCU', step: -2, description: 'download failed' },
      { module_name: 'default', step: 45, description: 'downloading' },
    ]);
    for (const step of ['0', 101, '-5', 1000]) await send(client, topics.progress, JSON.stringify({ id: 126, params: { step } }));
    await send(client, topics.progress, JSON.stringify({ id: 127, params: { step: 100 } }));
    expect(await progressRows(server, rowId)).toEqual([
      { module_name: 'MCU', step: -2, description: 'download failed' },
      { module_name: 'default', step: 100, description: null },
    ]);
    expect(await metricValue(server, MESSAGES, { topic: 'progress', outcome: 'ignored' })).toBe(ignoredBefore + 4);
  });

  it('answers firmware/get with the id echoed (same JSON type) and data {} when nothing is pending', async () => {
    const { client, topics } = await online('dev_get', 'c4');
    const replies = messageQueue(client, topics.firmwareGetReply);
    await client.subscribeAsync('/sys/+/+/thing/ota/firmware/get_reply', { qos: 1 });
    await send(client, topics.firmwareGet, JSON.stringify({ id: '125', version: '1.0', params: { module: 'MCU' }, method: 'thing.ota.firmware.get' }));
    expect(JSON.parse((await replies.next()).toString())).toEqual({ id: '125', code: 200, data: {}, message: 'success' });
    await send(client, topics.firmwareGet, '{"id":7,"params":{},}');
    expect(JSON.parse((await replies.next()).toString())).toEqual({ id: 7, code: 200, data: {}, message: 'success' });
  });

  it('answers the legacy request on the same topic with an empty Alink reply, not with an echo of the request', async () => {
    const { client, topics } = await online('dev_request');
    const answers = messageQueue(client, topics.request);
    await client.subscribeAsync(topics.request, { qos: 1 });
    await send(client, topics.request, JSON.stringify({ id: 8, params: { version: '1.0.0' } }));
    expect(JSON.parse((await answers.next()).toString())).toEqual({ id: 8, code: 200, data: {}, message: 'success' });
    await send(client, topics.request, JSON.stringify({ id: '9' }));
    expect(JSON.parse((await answers.next()).toString())).toEqual({ id: '9', code: 200, data: {}, message: 'success' });
  });

  it('drops malformed, oversized and garbage payloads; nothing is stored, nothing answered, the server stays healthy', async () => {
    const { device, client, topics, rowId } = await online('dev_garbage');
    await send(client, topics.inform, JSON.stringify({ id: 1, params: { version: '1.0.0' } }));
    const replies = messageQueue(client, topics.firmwareGetReply);
    await client.subscribeAsync(topics.firmwareGetReply, { qos: 1 });
    const malformedBefore = await metricValue(server, MESSAGES, { topic: 'inform', outcome: 'malformed' });

    const badInforms: (string | Buffer)[] = [
      '',
      'garbage',
      Buffer.from([0xff, 0x00, 0x13, 0x37]),
      '{"id":1,"params":{"version":"2.0.0"}',
      '{"id":1,,"params":{"version":"2.0.0"}}',
      JSON.stringify({ params: { version: '2.0.0' } }),
      JSON.stringify({ id: -1, params: { version: '2.0.0' } }),
      JSON.stringify({ id: 4294967296, params: { version: '2.0.0' } }),
      JSON.stringify({ id: 1.5, params: { version: '2.0.0' } }),
      JSON.stringify({ id: '', params: { version: '2.0.0' } }),
      JSON.stringify({ id: 1, params: { version: 2 } }),
      JSON.stringify({ id: 1, params: { version: '' } }),
      JSON.stringify({ id: 1, params: { version: 'v'.repeat(65) } }),
      JSON.stringify({ id: 1, params: { version: '2.0\n0' } }),
      JSON.stringify({ id: 1, params: { version: '2.0.0', module: 'bad module' } }),
      JSON.stringify({ id: 1, params: { version: '2.0.0', module: 7 } }),
      JSON.stringify({ id: 1, params: [] }),
      JSON.stringify([{ id: 1, params: { version: '2.0.0' } }]),
      // Valid, but beyond the 16 KB bound for OTA control messages.
      JSON.stringify({ id: 1, params: { version: '2.0.0' }, pad: 'x'.repeat(20_000) }),
    ];
    for (const payload of badInforms) await send(client, topics.inform, payload);
    for (const payload of ['{', JSON.stringify({ id: 1, params: { step: 'half' } }), JSON.stringify({ id: 1, params: { step: 5.5 } }), JSON.stringify({ id: 1, params: { desc: 'x' } })]) {
      await send(client, topics.progress, payload);
    }
    for (const payload of ['null', JSON.stringify({ params: {} }), JSON.stringify({ id: 1, params: { module: '../x' } }), JSON.stringify({ id: {}, params: {} })]) {
      await send(client, topics.firmwareGet, payload);
      await send(client, topics.request, payload);
    }

    expect(await metricValue(server, MESSAGES, { topic: 'inform', outcome: 'malformed' })).toBe(malformedBefore + badInforms.length);
    expect(await moduleVersions(sdk, device.iotId)).toEqual({ default: '1.0.0' });
    expect(await progressRows(server, rowId)).toEqual([]);
    // Still connected and answering; the first reply is the one to this request (no reply to the bad pulls).
    await send(client, topics.firmwareGet, JSON.stringify({ id: 'after', params: {} }));
    expect(JSON.parse((await replies.next()).toString())).toMatchObject({ id: 'after', code: 200 });
    expect(replies.pending).toBe(0);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('closes a connection that sends a packet above 256 KB; other devices are unaffected', async () => {
    const { device, client, topics } = await online('dev_huge');
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.publish(topics.inform, Buffer.alloc(300 * 1024, 0x20), { qos: 1 });
    await closed;
    expect(await moduleVersions(sdk, device.iotId)).toEqual({});
    const other = await online('dev_after_huge');
    await send(other.client, other.topics.inform, JSON.stringify({ id: 1, params: { version: '5.0' } }));
    expect(await moduleVersions(sdk, other.device.iotId)).toEqual({ default: '5.0' });
  });

  it("a publish on another device's inform topic changes nothing and counts as a denied publish", async () => {
    const victim = await online('dev_victim');
    await send(victim.client, victim.topics.inform, JSON.stringify({ id: 1, params: { version: '1.0.0' } }));
    const attacker = await online('dev_attacker');
    const deniedBefore = await metricValue(server, DENIED);
    await send(attacker.client, victim.topics.inform, JSON.stringify({ id: 2, params: { version: '6.6.6' } }));
    await send(attacker.client, victim.topics.progress, JSON.stringify({ id: 3, params: { step: '-1' } }));
    expect(await metricValue(server, DENIED)).toBe(deniedBefore + 2);
    expect(await moduleVersions(sdk, victim.device.iotId)).toEqual({ default: '1.0.0' });
    expect(await moduleVersions(sdk, attacker.device.iotId)).toEqual({});
    expect(await progressRows(server, victim.rowId)).toEqual([]);
    // The attacker stays connected (the publish is dropped, not the connection).
    await send(attacker.client, attacker.topics.inform, JSON.stringify({ id: 4, params: { version: '2.0' } }));
    expect(await moduleVersions(sdk, attacker.device.iotId)).toEqual({ default: '2.0' });
  });
});
