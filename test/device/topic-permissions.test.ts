import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sdkClient } from '../support/clients.js';
import { createProduct, registerDevice, type Registered } from '../support/device-fixtures.js';
import { testDialects } from '../support/dialects.js';
import { connectDevice, eventually, signInFields } from '../support/mqtt-device.js';
import { startTestServer, type TestServer } from '../support/server.js';

interface Received {
  topic: string;
  payload: string;
  qos: number;
  retain: boolean;
}

/** Every message the client receives, in order. */
function inbox(client: MqttClient): Received[] {
  const got: Received[] = [];
  client.on('message', (topic, payload, packet) => got.push({ topic, payload: payload.toString(), qos: packet.qos, retain: packet.retain }));
  return got;
}

/** Waits for the message with this payload: everything published to the client before it has arrived by then. */
async function arrived(got: Received[], payload: string): Promise<void> {
  await eventually(async () => (got.some((m) => m.payload === payload) ? true : undefined), `message ${payload}`);
}

/** The SUBACK code for one filter: the granted QoS, or 128 when refused. */
function subscribeCode(client: MqttClient, filter: string, qos: 0 | 1 | 2 = 1): Promise<number> {
  return new Promise((resolve, reject) => {
    client.subscribe(filter, { qos }, (err, granted) => {
      // mqtt.js reports a refusal as an error carrying the SUBACK.
      const code = (err as { packet?: { granted?: number[] } } | null)?.packet?.granted?.[0];
      if (code !== undefined) return resolve(code);
      if (err) return reject(err);
      resolve(granted![0]!.qos);
    });
  });
}

const up = (d: Registered, kind: string) => `/ota/device/${kind}/${d.productKey}/${d.deviceName}`;
const custom = (d: Registered, rest: string) => `/${d.productKey}/${d.deviceName}/${rest}`;

describe.each(testDialects())('MQTT topic permissions (%s)', (dialect) => {
  let server: TestServer;
  let sdk: ReturnType<typeof sdkClient>;
  let a: Registered;
  let b: Registered;
  let neighbour: Registered;
  const open: MqttClient[] = [];

  beforeAll(async () => {
    server = await startTestServer(dialect);
    sdk = sdkClient(server.endpoint, server.key);
    const pkA = await createProduct(sdk, 'permsA');
    const pkB = await createProduct(sdk, 'permsB');
    a = await registerDevice(sdk, pkA, 'devA');
    neighbour = await registerDevice(sdk, pkA, 'devN');
    b = await registerDevice(sdk, pkB, 'devB');
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.endAsync(true)));
  });
  afterAll(async () => server.stop());

  async function connect(device: Registered, options: Parameters<typeof connectDevice>[2] = {}): Promise<MqttClient> {
    const client = await connectDevice(server.service.mqttUrl, signInFields(device), options);
    open.push(client);
    return client;
  }

  async function metric(name: string): Promise<number> {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return line === undefined ? 0 : Number(line.split(' ')[1]);
  }

  it('refuses subscriptions to another device’s topics with 128; nothing published there reaches the device', async () => {
    const clientA = await connect(a);
    const clientB = await connect(b);
    const gotA = inbox(clientA);
    const gotB = inbox(clientB);
    const deniedBefore = await metric('flotilla_device_subscriptions_denied_total');
    for (const filter of [up(b, 'upgrade'), up(neighbour, 'upgrade'), `/sys/${b.productKey}/${b.deviceName}/thing/ota/firmware/get_reply`, custom(b, 'user/get'), '#', '/ota/#', '$SYS/#']) {
      expect(await subscribeCode(clientA, filter), filter).toBe(128);
    }
    expect(await metric('flotilla_device_subscriptions_denied_total')).toBe(deniedBefore + 7);
    expect(await subscribeCode(clientA, up(a, 'upgrade'))).toBe(1);
    expect(await subscribeCode(clientB, up(b, 'upgrade'))).toBe(1);

    await server.service.broker.publish(up(b, 'upgrade'), 'for-b', 1);
    await server.service.broker.publish(up(neighbour, 'upgrade'), 'for-neighbour', 1);
    await server.service.broker.publish(up(a, 'upgrade'), 'for-a', 1);
    await arrived(gotB, 'for-b');
    await arrived(gotA, 'for-a');
    expect(gotA.map((m) => m.payload)).toEqual(['for-a']);
    expect(gotB.map((m) => m.payload)).toEqual(['for-b']);
  });

  it('narrows the C SDK’s wildcard subscriptions to the device’s own topics', async () => {
    const clientA = await connect(a);
    const gotA = inbox(clientA);
    expect(await subscribeCode(clientA, '/ota/device/upgrade/+/+')).toBe(1);
    expect(await subscribeCode(clientA, '/sys/+/+/thing/ota/firmware/get_reply')).toBe(1);
    expect(await subscribeCode(clientA, '/sys/+/+/thing/config/push')).toBe(1);
    for (const d of [b, neighbour]) {
      await server.service.broker.publish(up(d, 'upgrade'), `upgrade-${d.deviceName}`, 1);
      await server.service.broker.publish(`/sys/${d.productKey}/${d.deviceName}/thing/ota/firmware/get_reply`, `get-${d.deviceName}`, 1);
      await server.service.broker.publish(`/sys/${d.productKey}/${d.deviceName}/thing/config/push`, `config-${d.deviceName}`, 1);
    }
    await server.service.broker.publish(up(a, 'upgrade'), 'upgrade-a', 1);
    await server.service.broker.publish(`/sys/${a.productKey}/${a.deviceName}/thing/ota/firmware/get_reply`, 'get-a', 1);
    await server.service.broker.publish(`/sys/${a.productKey}/${a.deviceName}/thing/config/push`, 'config-a', 1);
    await arrived(gotA, 'config-a');
    expect(gotA.map((m) => [m.topic, m.payload])).toEqual([
      [up(a, 'upgrade'), 'upgrade-a'],
      [`/sys/${a.productKey}/${a.deviceName}/thing/ota/firmware/get_reply`, 'get-a'],
      [`/sys/${a.productKey}/${a.deviceName}/thing/config/push`, 'config-a'],
    ]);
  });

  it('drops publishes on another device’s topics and counts them', async () => {
    const clientA = await connect(a);
    const clientB = await connect(b);
    const gotB = inbox(clientB);
    expect(await subscribeCode(clientB, up(b, 'upgrade'))).toBe(1);
    expect(await subscribeCode(clientB, custom(b, 'user/#'))).toBe(1);
    const deniedBefore = await metric('flotilla_device_publishes_denied_total');
    // QoS 1: the PUBACK comes (the device is not disconnected), the message goes nowhere.
    await clientA.publishAsync(up(b, 'upgrade'), 'from-a-1', { qos: 1 });
    await clientA.publishAsync(custom(b, 'user/get'), 'from-a-2', { qos: 1 });
    await clientA.publishAsync(up(b, 'inform'), '{"id":"1","params":{"version":"6.6.6"}}', { qos: 1 });
    expect(await metric('flotilla_device_publishes_denied_total')).toBe(deniedBefore + 3);
    // B's own publish on its custom topic does reach it: the path works, only A's messages were dropped.
    await clientB.publishAsync(custom(b, 'user/echo'), 'from-b', { qos: 1 });
    await server.service.broker.publish(up(b, 'upgrade'), 'sentinel', 1);
    await arrived(gotB, 'sentinel');
    expect(gotB.map((m) => m.payload)).toEqual(['from-b', 'sentinel']);
  });

  it('drops a device’s publish to its own down topic', async () => {
    const clientA = await connect(a);
    const gotA = inbox(clientA);
    expect(await subscribeCode(clientA, up(a, 'upgrade'))).toBe(1);
    const deniedBefore = await metric('flotilla_device_publishes_denied_total');
    await clientA.publishAsync(up(a, 'upgrade'), 'self-push', { qos: 1 });
    await clientA.publishAsync(`/sys/${a.productKey}/${a.deviceName}/thing/ota/firmware/get_reply`, 'self-reply', { qos: 0 });
    await server.service.broker.publish(up(a, 'upgrade'), 'sentinel', 1);
    await arrived(gotA, 'sentinel');
    expect(gotA.map((m) => m.payload)).toEqual(['sentinel']);
    expect(await metric('flotilla_device_publishes_denied_total')).toBe(deniedBefore + 2);
  });

  it('grants QoS 1 for a QoS 2 subscription and completes a device’s QoS 2 publish handshake', async () => {
    const clientA = await connect(a);
    const gotA = inbox(clientA);
    expect(await subscribeCode(clientA, custom(a, 'user/qos'), 2)).toBe(1);
    // publishAsync resolves on PUBCOMP: PUBREC/PUBREL/PUBCOMP all happened.
    await clientA.publishAsync(custom(a, 'user/qos'), 'qos2', { qos: 2 });
    await arrived(gotA, 'qos2');
    expect(gotA[0]!.qos).toBeLessThanOrEqual(1);
    // An OTA up topic at QoS 2 is acknowledged too.
    await clientA.publishAsync(up(a, 'inform'), '{"id":"2","params":{"version":"1.0.0"}}', { qos: 2 });
  });

  it('ignores the retain flag: a later subscriber gets no retained message', async () => {
    const first = await connect(a);
    await first.publishAsync(custom(a, 'user/retained'), 'kept?', { qos: 1, retain: true });
    await first.endAsync();
    const second = await connect(a);
    const got = inbox(second);
    expect(await subscribeCode(second, custom(a, 'user/retained'))).toBe(1);
    // Two round trips through the broker after SUBACK: a retained message would have been sent by then.
    await second.publishAsync(custom(a, 'user/retained'), 'sentinel-1', { qos: 1 });
    await arrived(got, 'sentinel-1');
    await second.publishAsync(custom(a, 'user/retained'), 'sentinel-2', { qos: 1 });
    await arrived(got, 'sentinel-2');
    expect(got.map((m) => [m.payload, m.retain])).toEqual([
      ['sentinel-1', false],
      ['sentinel-2', false],
    ]);
  });

  it('ignores wills: an abrupt disconnect publishes nothing', async () => {
    const willTopic = custom(a, 'user/will');
    // A persistent session subscribed to the will topic collects what is published there while A is away.
    const subscriber = await connect(a, { clean: false });
    expect(await subscribeCode(subscriber, willTopic)).toBe(1);
    await subscriber.endAsync();

    const dying = await connect(a, { clean: false, will: { topic: willTopic, payload: Buffer.from('last-will'), qos: 1, retain: false } });
    (dying.stream as unknown as { destroy(): void }).destroy();
    await eventually(async () => (server.service.broker.isOnline(await rowIdOf(a)) ? undefined : true), 'session end');
    await eventually(async () => ((await deviceStatus(a)) === 'OFFLINE' ? true : undefined), 'OFFLINE');
    // Queued after a will would have been: it arrives, the will does not.
    await server.service.broker.publish(willTopic, 'after-drop', 1);

    const back = await connectWithInbox(a);
    await arrived(back.got, 'after-drop');
    expect(back.got.map((m) => m.payload)).toEqual(['after-drop']);
  });

  it('a persistent session’s wildcard subscription queues only the device’s own messages while it is away', async () => {
    const first = await connect(a, { clean: false });
    expect(await subscribeCode(first, '/ota/device/upgrade/+/+')).toBe(1);
    expect(await subscribeCode(first, '/sys/+/+/thing/ota/firmware/get_reply')).toBe(1);
    await leavePersistentSession(first, a);

    await server.service.broker.publish(up(b, 'upgrade'), 'away-b', 1);
    await server.service.broker.publish(up(neighbour, 'upgrade'), 'away-neighbour', 1);
    await server.service.broker.publish(`/sys/${b.productKey}/${b.deviceName}/thing/ota/firmware/get_reply`, 'away-b-reply', 1);
    await server.service.broker.publish(up(a, 'upgrade'), 'away-a', 1);

    await expectOnlyOwnMessagesAfterReconnect(a);
  });

  it('a refused filter sent together with a granted one queues nothing for a persistent session', async () => {
    const first = await connect(a, { clean: false });
    const granted = await new Promise<number[]>((resolve) =>
      first.subscribe([up(a, 'upgrade'), up(b, 'upgrade'), '/ota/device/upgrade/+/+'], { qos: 1 }, (err, g) =>
        resolve((err as { packet?: { granted?: number[] } } | null)?.packet?.granted ?? g!.map((x) => x.qos)),
      ),
    );
    expect(granted).toEqual([1, 128, 1]);
    await leavePersistentSession(first, a);

    await server.service.broker.publish(up(b, 'upgrade'), 'away-b', 1);
    await server.service.broker.publish(up(a, 'upgrade'), 'away-a', 1);
    await expectOnlyOwnMessagesAfterReconnect(a);
  });

  it('unsubscribing the wildcard filter a device subscribed ends that subscription', async () => {
    const clientA = await connect(a);
    const gotA = inbox(clientA);
    expect(await subscribeCode(clientA, '/ota/device/upgrade/+/+')).toBe(1);
    expect(await subscribeCode(clientA, '/sys/+/+/thing/config/push')).toBe(1);
    await clientA.unsubscribeAsync('/ota/device/upgrade/+/+');
    await server.service.broker.publish(up(a, 'upgrade'), 'after-unsubscribe', 1);
    await server.service.broker.publish(`/sys/${a.productKey}/${a.deviceName}/thing/config/push`, 'sentinel', 1);
    await arrived(gotA, 'sentinel');
    expect(gotA.map((m) => m.payload)).toEqual(['sentinel']);
  });

  /** Connects with the inbox listening before CONNACK: a persistent session's queued messages follow it at once. */
  async function connectWithInbox(device: Registered): Promise<{ client: MqttClient; got: Received[] }> {
    const client = mqtt.connect(server.service.mqttUrl, { ...signInFields(device), protocolVersion: 4, reconnectPeriod: 0, clean: false });
    open.push(client);
    const got = inbox(client);
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    return { client, got };
  }

  async function leavePersistentSession(client: MqttClient, device: Registered): Promise<void> {
    await client.endAsync();
    await eventually(async () => (server.service.broker.isOnline(await rowIdOf(device)) ? undefined : true), 'session end');
  }

  /** Reconnects `device`'s persistent session: exactly its own queued `away-a`, then a live `back-a`, arrive. */
  async function expectOnlyOwnMessagesAfterReconnect(device: Registered): Promise<void> {
    const back = await connectWithInbox(device);
    await arrived(back.got, 'away-a');
    await server.service.broker.publish(up(device, 'upgrade'), 'back-a', 1);
    await arrived(back.got, 'back-a');
    expect(back.got.map((m) => m.payload)).toEqual(['away-a', 'back-a']);
  }

  async function rowIdOf(device: Registered): Promise<string> {
    const row = await server.service.storage.db.selectFrom('device').select('id').where('iot_id', '=', device.iotId).executeTakeFirstOrThrow();
    return String(row.id);
  }

  async function deviceStatus(device: Registered): Promise<string> {
    const row = await server.service.storage.db.selectFrom('device').select('status').where('iot_id', '=', device.iotId).executeTakeFirstOrThrow();
    return row.status;
  }
});
