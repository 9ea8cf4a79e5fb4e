import type { Clock } from '../../domain/clock.js';
import { DEFAULT_MODULE, type OtaDevice, type UpdateFile, type UpdateNotice } from '../../domain/rollout/device-ota-events.js';
import type { FileStreams } from '../../domain/rollout/file-streams.js';
import type { DownloadUrlSigner } from '../../security/download-url-signer.js';
import type { DeviceBroker } from '../mqtt/broker.js';
import { deviceTopics } from '../gateway/topic-permissions.js';

/** `data` of an update push (device-protocol.md §4.2); also the `data` of a pull answer (§4.4). */
export type PushData = Record<string, unknown>;

/** The whole push message of §4.2. */
export interface PushMessage {
  readonly code: '1000';
  readonly message: 'success';
  readonly id: number;
  readonly data: PushData;
}

export interface PushPublisher {
  /** The §4.2 message telling `device` to install `notice`; opens an MQTT download stream for the MQTT variant. */
  pushPayload(device: OtaDevice, notice: UpdateNotice): Promise<PushMessage>;
  /** Publishes the push on the device's upgrade topic with QoS 1 (§4.2: QoS unconfirmed; 1 survives a persistent session). */
  push(device: OtaDevice, notice: UpdateNotice): Promise<void>;
  /** Publishes a JSON message on one of a device's down topics (the replies of §4.4 and §4.5). */
  publishJson(topic: string, message: object, qos: 0 | 1): Promise<void>;
}

export interface PushPublisherDeps {
  /** The broker is started after the handlers that reply through this publisher exist, hence a getter. */
  broker: () => DeviceBroker | undefined;
  downloadUrls: DownloadUrlSigner;
  streams: FileStreams;
  clock: Clock;
}

export function createPushPublisher(deps: PushPublisherDeps): PushPublisher {
  const { downloadUrls, streams, clock } = deps;

  async function publishJson(topic: string, message: object, qos: 0 | 1): Promise<void> {
    const broker = deps.broker();
    if (broker === undefined) throw new Error('the MQTT broker is not running');
    await broker.publish(topic, JSON.stringify(message), qos);
  }

  async function pushPayload(device: OtaDevice, notice: UpdateNotice): Promise<PushMessage> {
    const data = notice.downloadProtocol === 'MQTT' ? await mqttData(device, notice) : httpsData(notice);
    // Captures show an epoch-ms number as the push id (§4.2).
    return { code: '1000', message: 'success', id: clock.now(), data };
  }

  function httpsData(notice: UpdateNotice): PushData {
    const [first] = notice.files;
    if (first === undefined) throw new Error('an update notice without files');
    if (!isMultiFile(notice)) {
      return withTail(notice, {
        size: first.size,
        version: notice.version,
        ...isDiff(notice),
        url: downloadUrls.sign(first.fileId),
        md5: first.md5,
        sign: signOf(notice, first),
        signMethod: notice.signMethod,
      });
    }
    // §4.2 multi-file packages: `files[]` instead of url/size/md5/sign; signMethod stays at data level.
    return withTail(notice, {
      version: notice.version,
      ...isDiff(notice),
      signMethod: notice.signMethod,
      files: notice.files.map((f) => ({
        fileName: f.fileName ?? f.fileId,
        fileSize: f.size,
        fileUrl: downloadUrls.sign(f.fileId),
        fileMd5: f.md5,
        fileSign: signOf(notice, f),
      })),
    });
  }

  async function mqttData(device: OtaDevice, notice: UpdateNotice): Promise<PushData> {
    // §4.2: MQTT download exists only for single-file packages (job creation refuses the rest).
    const [file] = notice.files;
    if (file === undefined || isMultiFile(notice)) throw new Error('MQTT download needs a single-file package');
    const { streamId, streamFileId } = await streams.open(device, file.fileId);
    // No 16 MB cap here: the job side decides which packages may go over MQTT.
    return withTail(notice, {
      size: file.size,
      version: notice.version,
      ...isDiff(notice),
      streamId,
      streamFileId,
      dProtocol: 'mqtt',
      md5: file.md5,
      sign: signOf(notice, file),
      signMethod: notice.signMethod,
    });
  }

  return {
    pushPayload,
    async push(device, notice) {
      await publishJson(deviceTopics.upgrade(device), await pushPayload(device, notice), 1);
    },
    publishJson,
  };
}

/**
 * A package is sent in the multi-file form when it has several files or its files carry names (only
 * CreateOTAFirmware's MultiFiles.N.Name gives files names), so a one-file multi-file package keeps the form
 * its devices expect (Flotilla's reading of §4.2; unconfirmed).
 */
function isMultiFile(notice: UpdateNotice): boolean {
  return notice.files.length > 1 || notice.files.some((f) => f.fileName !== undefined);
}

// §4.2: isDiff is 1 for differential packages; omitted otherwise (the spec allows omitting or 0).
function isDiff(notice: UpdateNotice): { isDiff?: 1 } {
  return notice.isDiff ? { isDiff: 1 } : {};
}

// §4.2: `sign` is the digest the device checks, 32 hex (Md5) or 64 hex (Sha256).
function signOf(notice: UpdateNotice, file: UpdateFile): string {
  return notice.signMethod === 'Sha256' ? file.sha256 : file.md5;
}

/**
 * `module` only for non-default modules (§4.2 recommendation; unconfirmed whether Alibaba names `default`), and
 * `extData` only when there is some.
 */
function withTail(notice: UpdateNotice, data: PushData): PushData {
  if (notice.module !== DEFAULT_MODULE) data.module = notice.module;
  if (Object.keys(notice.extData).length > 0) data.extData = { ...notice.extData };
  return data;
}
