import { createHash, randomBytes } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc16Arc } from '../../src/device/ota/crc16.js';
import type { OtaDevice } from '../../src/domain/rollout/device-ota-events.js';
import { createFileStreams } from '../../src/domain/rollout/file-streams.js';
import { iot, sdkClient } from '../support/clients.js';
import { createProduct, deviceRow, registerDevice, type Registered } from '../support/device-fixtures.js';
import { testDialects } from '../support/dialects.js';
import { connectDevice, signInFields } from '../support/mqtt-device.js';
import { uploadFile } from '../support/oss-form.js';
import { createPackage } from '../support/package-fixtures.js';
import { startTestServer, type TestServer } from '../support/server.js';

// Several megabytes and not a multiple of either block size, so the last block is short.
const FIRMWARE = randomBytes(5 * 1024 * 1024 + 3_333);
// Past the 16 MB Alibaba documents as the largest MQTT-downloadable package (§4.7): Flotilla has no cap.
const SIXTEEN_MB = 16 * 1024 * 1024;
const HUGE = randomBytes(SIXTEEN_MB + 700_000);

interface Reply {
  header: { id?: string | number; code: number; msg: string; data: { fileToken?: string; fileLength?: number; bSize: number; bOffset?: number } };
  data: Buffer;
  crc: number;
}

/** Splits a download_reply (§4.7) and checks its layout: the frame ends right after data and CRC. */
function decode(frame: Buffer): Reply {
  const headerLength = frame.readUInt16BE(0);
  const header = JSON.parse(frame.subarray(2, 2 + headerLength).toString('utf8')) as Reply['header'];
  const data = frame.subarray(2 + headerLength, 2 + headerLength + header.data.bSize);
  expect(frame.length).toBe(2 + headerLength + header.data.bSize + 2);
  return { header, data, crc: frame.readUInt16LE(frame.length - 2) };
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A signed-in device listening on its download_reply topic; replies are matched to requests by id. */
async function downloader(server: TestServer, device: Registered) {
  const client: MqttClient = await connectDevice(server.service.mqttUrl, signInFields(device, { style: 'c4' }));
  const replyTopic = `/sys/${device.productKey}/${device.deviceName}/thing/file/download_reply`;
  await client.subscribeAsync(replyTopic, { qos: 1 });
  const waiting = new Map<string, (r: Reply) => void>();
  client.on('message', (topic, payload) => {
    if (topic !== replyTopic) return;
    const reply = decode(payload);
    const key = String(reply.header.id);
    waiting.get(key)?.(reply);
    waiting.delete(key);
  });
  let nextId = 1;
  return {
    client,
    /** Publishes `body` (an object, or raw text) and resolves with the reply carrying `id`. QoS 0 as the C SDK 4.x. */
    async send(body: object | string, id: string | number, qos: 0 | 1 = 0): Promise<Reply> {
      const answer = new Promise<Reply>((resolve) => waiting.set(String(id), resolve));
      await client.publishAsync(`/sys/${device.productKey}/${device.deviceName}/thing/file/download`, typeof body === 'string' ? body : JSON.stringify(body), { qos });
      return answer;
    },
    request(streamId: number, offset: number, size: number, extra: { fileId?: unknown; id?: string | number; qos?: 0 | 1 } = {}): Promise<Reply> {
      const id = extra.id ?? nextId++;
      const params = { fileToken: `tok-${id}`, fileInfo: { streamId, fileId: extra.fileId ?? 1 }, fileBlock: { size, offset } };
      return this.send({ id, version: '1.0', params }, id, extra.qos);
    },
  };
}

async function otaDeviceOf(server: TestServer, device: Registered): Promise<OtaDevice> {
  const row = await deviceRow(server, device.iotId);
  const { productKey, deviceName, iotId } = device;
  return { rowId: row.id, iotId, accountId: row.account_id, instanceId: row.instance_id, productId: row.product_id, productKey, deviceName };
}

describe.each(testDialects())('MQTT file download (%s)', (dialect) => {
  let server: TestServer;
  let skewMs = 0;
  const clock = { now: () => Date.now() + skewMs };
  let deviceA: Registered;
  let deviceB: Registered;
  let fileId: string;
  let streamA: number;
  let streamB: number;
  let a: Awaited<ReturnType<typeof downloader>>;

  beforeAll(async () => {
    server = await startTestServer(dialect, { clock });
    const sdk = sdkClient(server.endpoint, server.key);
    const productKey = await createProduct(sdk, 'filedownload');
    deviceA = await registerDevice(sdk, productKey, 'dl_a');
    deviceB = await registerDevice(sdk, productKey, 'dl_b');
    // The package goes the way a user's does: upload form, then CreateOTAFirmware.
    const slot = await uploadFile(sdk, FIRMWARE, 'bin');
    const created = await sdk.createOTAFirmware(new iot.CreateOTAFirmwareRequest({ firmwareName: 'mqtt_dl', destVersion: '2.0.0', firmwareUrl: slot.firmwareUrl }));
    expect(created.body.success).toBe(true);
    const file = await server.service.storage.db
      .selectFrom('firmware_file')
      .select('file_id')
      .where('firmware_id', '=', created.body.data!.firmwareId!)
      .executeTakeFirstOrThrow();
    fileId = file.file_id;
    ({ streamId: streamA } = await server.service.fileStreams.open(await otaDeviceOf(server, deviceA), fileId));
    ({ streamId: streamB } = await server.service.fileStreams.open(await otaDeviceOf(server, deviceB), fileId));
    a = await downloader(server, deviceA);
  });
  afterAll(async () => {
    await a?.client.endAsync();
    await server?.stop();
  });

  it('streams every 5 KB block in turn, byte-identical, each with a correct CRC', async () => {
    const parts: Buffer[] = [];
    for (let offset = 0; offset < FIRMWARE.length; offset += 5120) {
      const reply = await a.request(streamA, offset, 5120);
      expect(reply.header).toMatchObject({ code: 200, msg: 'success', data: { fileToken: expect.stringMatching(/^tok-/), fileLength: FIRMWARE.length, bOffset: offset } });
      expect(reply.crc).toBe(crc16Arc(reply.data));
      parts.push(Buffer.from(reply.data));
    }
    expect(parts.at(-1)!.length).toBe(FIRMWARE.length % 5120);
    expect(sha256(Buffer.concat(parts))).toBe(sha256(FIRMWARE));
  });

  it('answers 128 KB blocks requested all at once (QoS 1), each to its own id', async () => {
    const offsets: number[] = [];
    for (let offset = 0; offset < FIRMWARE.length; offset += 131_072) offsets.push(offset);
    const replies = await Promise.all(offsets.map((offset) => a.request(streamA, offset, 131_072, { qos: 1 })));
    replies.forEach((reply, i) => {
      expect(reply.header.data.bOffset).toBe(offsets[i]);
      expect(reply.crc).toBe(crc16Arc(reply.data));
    });
    expect(sha256(Buffer.concat(replies.map((r) => r.data)))).toBe(sha256(FIRMWARE));
  });

  it('serves a short last block, also when asked for with fewer than 256 bytes', async () => {
    const end = FIRMWARE.length;
    const over = await a.request(streamA, end - 100, 5120);
    expect(over.header.data).toMatchObject({ bSize: 100, bOffset: end - 100, fileLength: end });
    expect(over.data.equals(FIRMWARE.subarray(end - 100))).toBe(true);
    const exact = await a.request(streamA, end - 100, 100);
    expect(exact.header.code).toBe(200);
    expect(exact.data.equals(FIRMWARE.subarray(end - 100))).toBe(true);
  });

  it('echoes the id with its JSON type and accepts the C SDK trailing comma', async () => {
    const text = `{"id":"4242","version":"1.0","params":{"fileToken":"default","fileInfo":{"streamId":${streamA},"fileId":1,},"fileBlock":{"size":5120,"offset":5120}}}`;
    const reply = await a.send(text, '4242');
    expect(reply.header).toMatchObject({ id: '4242', code: 200, data: { fileToken: 'default', bSize: 5120, bOffset: 5120 } });
    expect(reply.data.equals(FIRMWARE.subarray(5120, 10240))).toBe(true);
    const numeric = await a.request(streamA, 0, 256, { id: 77 });
    expect(numeric.header.id).toBe(77);
  });

  it.each([
    ['offset at the end of the file', () => FIRMWARE.length, 5120],
    ['negative offset', () => -1, 5120],
    ['block smaller than 256 bytes before the end', () => 0, 255],
    ['block larger than 128 KB', () => 0, 131_073],
    ['empty block', () => 0, 0],
  ])('refuses a %s with 460, no data', async (_what, offset, size) => {
    const reply = await a.request(streamA, offset(), size);
    expect(reply.header.code).toBe(460);
    expect(reply.header.data.bSize).toBe(0);
    expect(reply.data.length).toBe(0);
  });

  it('answers an unknown stream, another device’s stream and a wrong file id alike', async () => {
    let unknown = randomBytes(4).readUInt32BE() >>> 1;
    if (unknown === streamA || unknown === streamB) unknown++;
    const replies = [await a.request(unknown, 0, 5120), await a.request(streamB, 0, 5120), await a.request(streamA, 0, 5120, { fileId: 2 })];
    for (const reply of replies) {
      expect(reply.header).toMatchObject({ code: 460, msg: 'file stream not found', data: { bSize: 0 } });
      // Nothing about the file shows: not even its length.
      expect(reply.header.data.fileLength).toBeUndefined();
    }
  });

  it('refuses a stream once it has expired', async () => {
    const stream = await server.service.fileStreams.open(await otaDeviceOf(server, deviceA), fileId);
    expect((await a.request(stream.streamId, 0, 256)).header.code).toBe(200);
    skewMs = 25 * 3600_000; // past the default 24 h lifetime of a download handle
    try {
      expect((await a.request(stream.streamId, 0, 256)).header.code).toBe(460);
    } finally {
      skewMs = 0;
    }
  });

  it('serves blocks past 16 MB of a larger package', async () => {
    const huge = await createPackage(server, HUGE);
    const { streamId, streamFileId } = await server.service.fileStreams.open(await otaDeviceOf(server, deviceA), huge.fileId);
    expect(streamFileId).toBe(1);
    expect(streamId).toBeGreaterThan(0);
    expect(streamId).toBeLessThan(2 ** 31);
    for (const offset of [SIXTEEN_MB, SIXTEEN_MB + 131_072, HUGE.length - 131_072]) {
      const reply = await a.request(streamId, offset, 131_072);
      expect(reply.header).toMatchObject({ code: 200, data: { fileLength: HUGE.length, bSize: 131_072, bOffset: offset } });
      expect(reply.crc).toBe(crc16Arc(reply.data));
      expect(reply.data.equals(HUGE.subarray(offset, offset + 131_072))).toBe(true);
    }
    expect((await a.request(streamId, HUGE.length, 5120)).header.code).toBe(460);
  });

  it('purges expired streams', async () => {
    const streams = createFileStreams({ db: server.service.storage.db, clock, ttlMs: 60_000 });
    const device = await otaDeviceOf(server, deviceB);
    const { streamId } = await streams.open(device, fileId);
    expect(await streams.find(device, streamId, 1)).toMatchObject({ size: FIRMWARE.length });
    skewMs = 61_000;
    try {
      expect(await streams.find(device, streamId, 1)).toBeUndefined();
      expect(await streams.purgeExpired()).toBeGreaterThanOrEqual(1);
      const left = await server.service.storage.db.selectFrom('file_stream').select('stream_id').where('stream_id', '=', streamId).execute();
      expect(left).toEqual([]);
    } finally {
      skewMs = 0;
    }
  });
});
