import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { startService } from '../../src/main.js';
import { openStorage } from '../../src/storage/db.js';
import { iot, sdkClient } from '../support/clients.js';
import { createProduct, pinnableClock, registerDevice, setDeviceColumns, type Registered } from '../support/device-fixtures.js';
import { testDialects } from '../support/dialects.js';
import { connectDevice, eventually, refusalCode, signInFields } from '../support/mqtt-device.js';
import { closed, connectPacket, firstData, rawSocket } from '../support/raw-mqtt.js';
import { startTestServer, type TestServer } from '../support/server.js';

type Sdk = ReturnType<typeof sdkClient>;

async function getStatus(sdk: Sdk, device: Registered) {
  const res = await sdk.getDeviceStatus(new iot.GetDeviceStatusRequest({ iotId: device.iotId }));
  return { status: res.body.data?.status, timestamp: res.body.data?.timestamp };
}

async function becomes(sdk: Sdk, device: Registered, status: string): Promise<void> {
  await eventually(async () => ((await getStatus(sdk, device)).status === status ? true : undefined), `${device.deviceName} ${status}`);
}

const iso = (ms: number) => new Date(ms).toISOString();
// fleet-api §1.5: Gmt* is the UTC time + 8 h, `yyyy-MM-dd HH:mm:ss`.
const gmt = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');

describe.each(testDialects())('device presence (%s)', (dialect) => {
  const clock = pinnableClock();
  let server: TestServer;
  let sdk: Sdk;
  let productKey: string;
  let mqttUrl: string;

  beforeAll(async () => {
    server = await startTestServer(dialect, { clock });
    sdk = sdkClient(server.endpoint, server.key);
    productKey = await createProduct(sdk, 'presence');
    mqttUrl = server.service.mqttUrl;
  });
  afterAll(async () => server.stop());

  it('UNACTIVE → ONLINE → OFFLINE → ONLINE, with activation, session start and address (D2, D3, D5)', async () => {
    const device = await registerDevice(sdk, productKey, 'dev_life');
    expect((await getStatus(sdk, device)).status).toBe('UNACTIVE');
    let detail = (await sdk.queryDeviceDetail(new iot.QueryDeviceDetailRequest({ iotId: device.iotId }))).body.data!;
    expect([detail.utcActive, detail.utcOnline, detail.gmtOnline, detail.ipAddress]).toEqual([undefined, undefined, undefined, undefined]);

    const t1 = Math.floor(Date.now() / 1000) * 1000 - 60_000;
    clock.pin(t1);
    const first = await connectDevice(mqttUrl, signInFields(device));
    clock.unpin();
    expect(await getStatus(sdk, device)).toEqual({ status: 'ONLINE', timestamp: t1 });
    detail = (await sdk.queryDeviceDetail(new iot.QueryDeviceDetailRequest({ iotId: device.iotId }))).body.data!;
    expect(detail).toMatchObject({ status: 'ONLINE', utcActive: iso(t1), utcOnline: iso(t1), gmtOnline: gmt(t1), ipAddress: '127.0.0.1' });
    const batch = await sdk.batchGetDeviceState(new iot.BatchGetDeviceStateRequest({ iotId: [device.iotId] }));
    expect(batch.body.deviceStatusList?.deviceStatus?.[0]).toMatchObject({ status: 'ONLINE', asAddress: '127.0.0.1', lastOnlineTime: gmt(t1) });
    expect(server.service.broker.connectedDevices).toBeGreaterThanOrEqual(1);

    await first.endAsync();
    await becomes(sdk, device, 'OFFLINE');
    expect((await getStatus(sdk, device)).timestamp).toBeGreaterThan(t1);

    const t2 = t1 + 30_000;
    clock.pin(t2);
    const second = await connectDevice(mqttUrl, signInFields(device, { style: 'c4' }));
    clock.unpin();
    detail = (await sdk.queryDeviceDetail(new iot.QueryDeviceDetailRequest({ iotId: device.iotId }))).body.data!;
    // Activation is the first sign-in only; the session start moves.
    expect(detail).toMatchObject({ status: 'ONLINE', utcActive: iso(t1), utcOnline: iso(t2), gmtOnline: gmt(t2) });
    await second.endAsync();
    await becomes(sdk, device, 'OFFLINE');
  });

  it('a socket closed without DISCONNECT ends the session', async () => {
    const device = await registerDevice(sdk, productKey, 'dev_dropped');
    const client = await connectDevice(mqttUrl, signInFields(device));
    (client.stream as unknown as { destroy(): void }).destroy();
    await becomes(sdk, device, 'OFFLINE');
    client.end(true);
  });

  it('a device silent past 1.5 × its keep-alive is disconnected and OFFLINE', async () => {
    const device = await registerDevice(sdk, productKey, 'dev_silent');
    const socket = await rawSocket(mqttUrl);
    const connack = firstData(socket);
    socket.write(connectPacket({ ...signInFields(device), keepalive: 1 }));
    expect([...(await connack)]).toEqual([0x20, 0x02, 0x00, 0x00]);
    expect((await getStatus(sdk, device)).status).toBe('ONLINE');
    // No PINGREQ is ever sent: the server closes the socket (after ~1.5 s).
    await closed(socket);
    await becomes(sdk, device, 'OFFLINE');
  });

  it('a device dropping its connection while its sign-in is checked is not left ONLINE', async () => {
    const devices = await Promise.all(Array.from({ length: 10 }, (_, i) => registerDevice(sdk, productKey, `dev_hasty_${i}`)));
    const signInsBefore = await signInAttempts();
    await Promise.all(
      devices.map(async (device) => {
        const socket = await rawSocket(mqttUrl);
        socket.write(connectPacket({ ...signInFields(device), keepalive: 60 }));
        socket.destroy();
      }),
    );
    // Every attempt is settled (counted under some outcome) ...
    await eventually(async () => ((await signInAttempts()) >= signInsBefore + devices.length ? true : undefined), 'sign-ins settled');
    // ... and whichever way each went, no device stays ONLINE and no session is left behind.
    for (const device of devices) {
      await eventually(async () => ((await getStatus(sdk, device)).status !== 'ONLINE' ? true : undefined), `${device.deviceName} not ONLINE`);
    }
    expect(server.service.broker.connectedDevices).toBe(0);
  });

  it('a second connection replacing the first keeps the device ONLINE (D4)', async () => {
    const device = await registerDevice(sdk, productKey, 'dev_replaced');
    const first = await connectDevice(mqttUrl, signInFields(device));
    const firstClosed = new Promise<void>((resolve) => first.once('close', () => resolve()));
    const second = await connectDevice(mqttUrl, signInFields(device));
    await firstClosed;
    // A sign-out of the replaced session would be queued behind this sign-in; a third sign-in flushes it.
    const probe = await connectDevice(mqttUrl, signInFields(await registerDevice(sdk, productKey, 'dev_probe')));
    await probe.endAsync();
    expect((await getStatus(sdk, device)).status).toBe('ONLINE');
    expect(server.service.broker.isOnline(await rowId(device))).toBe(true);
    await second.endAsync();
    await becomes(sdk, device, 'OFFLINE');
  });

  it('DisableThing closes the session and refuses sign-in (D6, D9); EnableThing lets the device back (D7)', async () => {
    const device = await registerDevice(sdk, productKey, 'dev_disabled');
    const client = await connectDevice(mqttUrl, signInFields(device));
    const kicked = new Promise<void>((resolve) => client.once('close', () => resolve()));
    await sdk.disableThing(new iot.DisableThingRequest({ iotId: device.iotId }));
    await kicked;
    expect((await getStatus(sdk, device)).status).toBe('DISABLE');
    expect(await refusalCode(mqttUrl, signInFields(device))).toBe(5);
    expect((await getStatus(sdk, device)).status).toBe('DISABLE');

    await sdk.enableThing(new iot.EnableThingRequest({ iotId: device.iotId }));
    expect((await getStatus(sdk, device)).status).toBe('OFFLINE');
    const again = await connectDevice(mqttUrl, signInFields(device));
    expect((await getStatus(sdk, device)).status).toBe('ONLINE');
    await again.endAsync();
    await becomes(sdk, device, 'OFFLINE');

    const never = await registerDevice(sdk, productKey, 'dev_never');
    await sdk.disableThing(new iot.DisableThingRequest({ iotId: never.iotId }));
    await sdk.enableThing(new iot.EnableThingRequest({ iotId: never.iotId }));
    expect((await getStatus(sdk, never)).status).toBe('UNACTIVE');
  });

  it('200 devices connecting at once all end ONLINE', async () => {
    const devices: Registered[] = [];
    for (let i = 0; i < 200; i += 25) {
      devices.push(...(await Promise.all(Array.from({ length: 25 }, (_, j) => registerDevice(sdk, productKey, `dev_storm_${i + j}`)))));
    }
    const clients = await Promise.all(devices.map((d) => connectDevice(mqttUrl, signInFields(d))));
    try {
      for (let i = 0; i < devices.length; i += 50) {
        const iotIds = devices.slice(i, i + 50).map((d) => d.iotId);
        const res = await sdk.batchGetDeviceState(new iot.BatchGetDeviceStateRequest({ iotId: iotIds }));
        const statuses = res.body.deviceStatusList?.deviceStatus?.map((s) => s.status);
        expect(statuses).toEqual(iotIds.map(() => 'ONLINE'));
      }
    } finally {
      await Promise.all(clients.map((c) => c.endAsync()));
    }
    await eventually(async () => (server.service.broker.connectedDevices === 0 ? true : undefined), 'all sessions ended');
  });

  async function rowId(device: Registered): Promise<string> {
    const row = await server.service.storage.db.selectFrom('device').select('id').where('iot_id', '=', device.iotId).executeTakeFirstOrThrow();
    return String(row.id);
  }

  async function signInAttempts(): Promise<number> {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    return text
      .split('\n')
      .filter((l) => l.startsWith('flotilla_device_sign_ins_total{'))
      .reduce((sum, l) => sum + Number(l.split(' ')[1]), 0);
  }
});

describe.each(testDialects())('device presence across restarts (%s)', (dialect) => {
  it('server shutdown marks connected devices OFFLINE (D5)', async () => {
    const server = await startTestServer(dialect);
    try {
      const sdk = sdkClient(server.endpoint, server.key);
      const productKey = await createProduct(sdk, 'shutdown');
      const device = await registerDevice(sdk, productKey, 'dev_shutdown');
      const client = await connectDevice(server.service.mqttUrl, signInFields(device));
      client.on('error', () => undefined);
      expect((await getStatus(sdk, device)).status).toBe('ONLINE');
      await server.service.close();
      client.end(true);
      // Read what the closed service left in the database, without starting a service (whose start would
      // mark every device OFFLINE anyway).
      const storage = await openStorage({ databaseUrl: server.env.FLOTILLA_DATABASE_URL, dataDir: server.dataDir });
      try {
        const row = await storage.db.selectFrom('device').select('status').where('iot_id', '=', device.iotId).executeTakeFirstOrThrow();
        expect(row.status).toBe('OFFLINE');
      } finally {
        await storage.close();
      }
    } finally {
      await server.stop();
    }
  });

  it('a device left ONLINE by a process that died is OFFLINE after a restart', async () => {
    const server = await startTestServer(dialect);
    try {
      const sdk = sdkClient(server.endpoint, server.key);
      const productKey = await createProduct(sdk, 'killed');
      const device = await registerDevice(sdk, productKey, 'dev_killed');
      // What kill -9 leaves behind: ONLINE in the database, no session anywhere.
      await setDeviceColumns(server, device.iotId, { status: 'ONLINE', status_at: 1, online_at: 1, activated_at: 1 });
      expect((await getStatus(sdk, device)).status).toBe('ONLINE');
      await server.service.close();

      const restarted = await startService(loadConfig(server.env), { log: pino({ level: 'silent' }) });
      try {
        const row = await restarted.storage.db.selectFrom('device').select(['status', 'status_at']).where('iot_id', '=', device.iotId).executeTakeFirstOrThrow();
        expect(row.status).toBe('OFFLINE');
        expect(Number(row.status_at)).toBeGreaterThan(1);
        // And it signs in again normally.
        const client = await connectDevice(restarted.mqttUrl, signInFields(device));
        await client.endAsync();
      } finally {
        await restarted.close();
      }
    } finally {
      await server.stop();
    }
  });
});
