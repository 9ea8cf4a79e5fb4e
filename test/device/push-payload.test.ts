import { createHash, randomBytes } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DeviceBroker, startBroker } from '../../src/device/mqtt/broker.js';
import { createOtaTopicHandlers } from '../../src/device/ota/ota-topic-handlers.js';
import { createPushPublisher, type PushPublisher } from '../../src/device/ota/push-publisher.js';
import { createDeviceChangeFeed } from '../../src/domain/device/device-change-feed.js';
import { createPresenceService } from '../../src/domain/device/presence-service.js';
import { createSignInDirectory } from '../../src/domain/device/sign-in-directory.js';
import type { OtaDevice, UpdateFile, UpdateNotice } from '../../src/domain/rollout/device-ota-events.js';
import { createFileStreams } from '../../src/domain/rollout/file-streams.js';
import { createReportRecorder } from '../../src/domain/rollout/report-recorder.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { createSecretBox, loadMasterKey } from '../../src/security/secret-box.js';
import { sdkClient } from '../support/clients.js';
import { createProduct, deviceRow, registerDevice, type Registered } from '../support/device-fixtures.js';
import { testDialects } from '../support/dialects.js';
import { connectDevice, signInFields } from '../support/mqtt-device.js';
import { messageQueue, otaTopics } from '../support/ota-device.js';
import { createPackage, downloadSignerOf, type PackageFixture } from '../support/package-fixtures.js';
import { startTestServer, type TestServer } from '../support/server.js';

const HOUR_MS = 3600_000;

function fileOf(p: PackageFixture, fileName?: string): UpdateFile {
  return { fileId: p.fileId, fileName, size: p.size, md5: p.md5, sha256: p.sha256 };
}

function notice(files: UpdateFile[], overrides: Partial<UpdateNotice> = {}): UpdateNotice {
  return { version: '2.0.0', module: 'default', files, signMethod: 'Md5', isDiff: false, downloadProtocol: 'HTTPS', extData: {}, ...overrides };
}

describe.each(testDialects())('update push payload (%s)', (dialect) => {
  let server: TestServer;
  let sdk: ReturnType<typeof sdkClient>;
  let publisher: PushPublisher;
  let device: OtaDevice;
  let keys: Registered;
  let one: PackageFixture;
  let two: PackageFixture;
  let oneBytes: Buffer;
  let twoBytes: Buffer;
  const at = Date.now();
  const clock = { now: () => at };

  beforeAll(async () => {
    server = await startTestServer(dialect);
    sdk = sdkClient(server.endpoint, server.key);
    const productKey = await createProduct(sdk, 'push_payload');
    keys = await registerDevice(sdk, productKey, 'dev_push');
    const row = await deviceRow(server, keys.iotId);
    device = { rowId: row.id, iotId: keys.iotId, accountId: row.account_id, instanceId: row.instance_id, productId: row.product_id, productKey, deviceName: keys.deviceName };
    oneBytes = randomBytes(70_000);
    twoBytes = randomBytes(1234);
    one = await createPackage(server, oneBytes);
    two = await createPackage(server, twoBytes);
    const streams = createFileStreams({ db: server.service.storage.db, clock, ttlMs: HOUR_MS });
    publisher = createPushPublisher({ broker: () => undefined, downloadUrls: downloadSignerOf(server, clock), streams, clock });
  });
  afterAll(async () => server?.stop());

  async function download(url: string): Promise<Buffer> {
    expect(url.startsWith(`${server.url}/ota/download/`)).toBe(true);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    return Buffer.from(await res.arrayBuffer());
  }

  it('single file over HTTPS, default module, Md5: the §4.2 shape, and the URL serves the file', async () => {
    const push = await publisher.pushPayload(device, notice([fileOf(one)]));
    expect(push).toEqual({
      code: '1000',
      message: 'success',
      id: at,
      data: { size: one.size, version: '2.0.0', url: expect.any(String), md5: one.md5, sign: one.md5, signMethod: 'Md5' },
    });
    expect(Object.keys(push.data)).toEqual(['size', 'version', 'url', 'md5', 'sign', 'signMethod']);
    const body = await download(push.data.url as string);
    expect(body.equals(oneBytes)).toBe(true);
    expect(createHash('md5').update(body).digest('hex')).toBe(push.data.sign);
  });

  it('Sha256, a named module, extData and a differential package', async () => {
    const extData = { key1: 'value1', _package_udi: '{"k":"v"}' };
    const push = await publisher.pushPayload(device, notice([fileOf(one)], { signMethod: 'Sha256', module: 'MCU', isDiff: true, extData }));
    expect(push.data).toEqual({
      size: one.size,
      version: '2.0.0',
      isDiff: 1,
      url: expect.any(String),
      md5: one.md5,
      sign: one.sha256,
      signMethod: 'Sha256',
      module: 'MCU',
      extData,
    });
    expect(push.data.sign).toMatch(/^[0-9a-f]{64}$/);
    expect(createHash('sha256').update(await download(push.data.url as string)).digest('hex')).toBe(push.data.sign);
  });

  it('multi-file packages list files[] instead of url/size/md5/sign', async () => {
    const push = await publisher.pushPayload(device, notice([fileOf(one, 'app.bin'), fileOf(two, 'res.bin')], { signMethod: 'Sha256' }));
    expect(push.data).toEqual({
      version: '2.0.0',
      signMethod: 'Sha256',
      files: [
        { fileName: 'app.bin', fileSize: one.size, fileUrl: expect.any(String), fileMd5: one.md5, fileSign: one.sha256 },
        { fileName: 'res.bin', fileSize: two.size, fileUrl: expect.any(String), fileMd5: two.md5, fileSign: two.sha256 },
      ],
    });
    const files = push.data.files as { fileUrl: string }[];
    expect((await download(files[0]!.fileUrl)).equals(oneBytes)).toBe(true);
    expect((await download(files[1]!.fileUrl)).equals(twoBytes)).toBe(true);
    // One named file is still the multi-file form.
    expect(Object.keys((await publisher.pushPayload(device, notice([fileOf(two, 'only.bin')]))).data)).toEqual(['version', 'signMethod', 'files']);
  });

  it('MQTT download: a stream on the device and the file instead of a URL', async () => {
    const push = await publisher.pushPayload(device, notice([fileOf(one)], { downloadProtocol: 'MQTT', module: 'MCU' }));
    expect(push.data).toEqual({
      size: one.size,
      version: '2.0.0',
      streamId: expect.any(Number),
      streamFileId: 1,
      dProtocol: 'mqtt',
      md5: one.md5,
      sign: one.md5,
      signMethod: 'Md5',
      module: 'MCU',
    });
    const stream = await server.service.storage.db.selectFrom('file_stream').selectAll().where('stream_id', '=', push.data.streamId as number).executeTakeFirst();
    expect(stream).toMatchObject({ device_id: device.rowId, file_id: one.fileId });
    await expect(publisher.pushPayload(device, notice([fileOf(one, 'a'), fileOf(two, 'b')], { downloadProtocol: 'MQTT' }))).rejects.toThrow(/single-file/);
  });

  describe('over MQTT, with an update pending', () => {
    let broker: DeviceBroker;
    let client: MqttClient;
    let live: PushPublisher;
    const pending = () => notice([fileOf(one)], { module: 'MCU' });

    beforeAll(async () => {
      // A broker of its own on the test server's database, whose rollout side has an update pending for every
      // device (the rollout engine that decides this comes with issue 6).
      const { db } = server.service.storage;
      const changes = createDeviceChangeFeed();
      const recorder = createReportRecorder({ db, clock });
      const events = { ...recorder, pendingUpdate: async () => pending() };
      const metrics = createMetrics({ processMetrics: false });
      const log = pino({ level: 'silent' });
      live = createPushPublisher({ broker: () => broker, downloadUrls: downloadSignerOf(server, clock), streams: createFileStreams({ db, clock, ttlMs: HOUR_MS }), clock });
      broker = await startBroker(
        { host: '127.0.0.1', port: 0 },
        {
          directory: createSignInDirectory({ db, secretBox: createSecretBox(loadMasterKey(server.dataDir, undefined)), changes }),
          presence: createPresenceService({ db, clock }),
          events,
          handlers: createOtaTopicHandlers({ events, publisher: live, metrics, log }),
          changes,
          metrics,
          log,
        },
      );
      client = await connectDevice(`mqtt://127.0.0.1:${broker.port}`, signInFields(keys, { style: 'c4' }));
    });
    afterAll(async () => {
      await client?.endAsync(true);
      await broker?.close();
    });

    it('push publishes the payload on the upgrade topic with QoS 1', async () => {
      const topics = otaTopics(keys);
      const received = new Promise<{ payload: Buffer; qos: number }>((resolve) => client.on('message', (t, payload, packet) => t === topics.upgrade && resolve({ payload, qos: packet.qos })));
      await client.subscribeAsync('/ota/device/upgrade/+/+', { qos: 1 });
      await live.push(device, pending());
      const { payload, qos } = await received;
      expect(qos).toBe(1);
      expect(JSON.parse(payload.toString())).toEqual(await live.pushPayload(device, pending()).then((p) => ({ ...p, data: { ...p.data, url: expect.any(String) } })));
    });

    it('firmware/get answers with the push data; the legacy request with the push format and the id echoed', async () => {
      const topics = otaTopics(keys);
      const replies = messageQueue(client, topics.firmwareGetReply);
      const answers = messageQueue(client, topics.request);
      await client.subscribeAsync([topics.firmwareGetReply, topics.request], { qos: 1 });
      await client.publishAsync(topics.firmwareGet, JSON.stringify({ id: '77', params: { module: 'MCU' } }), { qos: 1 });
      const reply = JSON.parse((await replies.next()).toString());
      expect(reply).toEqual({ id: '77', code: 200, data: { size: one.size, version: '2.0.0', url: expect.any(String), md5: one.md5, sign: one.md5, signMethod: 'Md5', module: 'MCU' }, message: 'success' });
      expect((await download(reply.data.url)).equals(oneBytes)).toBe(true);

      await client.publishAsync(topics.request, JSON.stringify({ id: 78, params: { version: '1.0.0' } }), { qos: 1 });
      const answer = JSON.parse((await answers.next()).toString());
      expect(answer).toEqual({ code: '1000', message: 'success', id: 78, data: { ...reply.data, url: expect.any(String) } });
    });
  });
});
