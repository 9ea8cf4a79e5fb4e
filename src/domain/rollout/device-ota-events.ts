import type { DeviceIdentityRecord } from '../device/sign-in-directory.js';

/**
 * The one interface through which the MQTT gateway hands device OTA messages to the rollout side
 * (device-protocol.md §4, §6.2). The gateway parses and validates; this side decides what they mean.
 * Until the rollout engine exists, `createReportRecorder` (report-recorder.ts) records reports and answers
 * every pull with "no pending task".
 */
/** A signed-in device (the identity the gateway passes along). */
export type OtaDevice = DeviceIdentityRecord;

/** The module a message names; absent means the whole firmware, module `default` (§4.1). */
export const DEFAULT_MODULE = 'default';

export interface VersionReport {
  readonly module: string;
  readonly version: string;
}

export interface ProgressReport {
  readonly module: string;
  /** 1–100 percent done; −1 update failed, −2 download failed, −3 verification failed, −4 flashing failed (§4.3). */
  readonly step: number;
  readonly desc: string | undefined;
}

/** One file of an update, as the push names it (§4.2). */
export interface UpdateFile {
  /** firmware_file.file_id: what download URLs and MQTT streams point at. */
  readonly fileId: string;
  readonly fileName: string | undefined;
  readonly size: number;
  readonly md5: string;
  readonly sha256: string;
}

/** What a device is told to install: a push (§4.2), a pull answer (§4.4) or a legacy request answer (§4.5). */
export interface UpdateNotice {
  readonly version: string;
  readonly module: string;
  readonly files: readonly UpdateFile[];
  /** The digest the device checks: `Md5` or `Sha256` (C SDK 4.x accepts only these spellings, §4.2). */
  readonly signMethod: 'Md5' | 'Sha256';
  readonly isDiff: boolean;
  readonly downloadProtocol: 'HTTPS' | 'MQTT';
  /** Job tags (Tag.N.Key/Value) and the firmware's Udi as `_package_udi`; empty → omitted. */
  readonly extData: Readonly<Record<string, string>>;
}

export interface OtaDeviceEvents {
  /** §4.1: the device runs `version` of `module` now. */
  versionReported(device: OtaDevice, report: VersionReport): Promise<void>;
  /** §4.3 */
  progressReported(device: OtaDevice, report: ProgressReport): Promise<void>;
  /** §4.4, §4.5: the update the device may fetch now for `module` (any module when undefined), if any. */
  pendingUpdate(device: OtaDevice, module: string | undefined): Promise<UpdateNotice | undefined>;
  /** §6.2 rule 3: the device is signed in and subscribed to its upgrade topic, so a push now reaches it. */
  readyForPush(device: OtaDevice): void;
  /** The device's session ended. */
  wentOffline(device: OtaDevice): void;
}
