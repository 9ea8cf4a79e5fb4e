import { z } from 'zod';

/**
 * Every setting Flotilla reads, by environment variable. `flotilla serve` flags use the same names
 * (FLOTILLA_HTTP_PORT ↔ --http-port). `process.env` is read only in this folder.
 */
const port = z.coerce.number().int().min(0).max(65535);
const minutes = z.coerce.number().int().min(1).max(24 * 60);

const settingsSchema = z.object({
  FLOTILLA_HOST: z.string().min(1).default('0.0.0.0'),
  FLOTILLA_HTTP_PORT: port.default(8080),
  FLOTILLA_MQTT_PORT: port.default(1883),
  FLOTILLA_DATA_DIR: z.string().min(1).default('./data'),
  // An empty value means SQLite, like an absent one (shared/spec README, start contract; see loadConfig).
  FLOTILLA_DATABASE_URL: z
    .string()
    .optional()
    .transform((v) => (v === undefined ? undefined : v.trim()))
    .refine((v) => v === undefined || /^postgres(ql)?:\/\//.test(v), 'must start with postgres:// or postgresql://'),
  FLOTILLA_ACCESS_KEY_ID: z.string().regex(/^[A-Za-z0-9_-]{4,64}$/, 'must be 4-64 letters, digits, _ or -').optional(),
  FLOTILLA_ACCESS_KEY_SECRET: z.string().min(8, 'must be at least 8 characters').max(128).optional(),
  FLOTILLA_PUBLIC_URL: z
    .string()
    .url()
    .refine((v) => /^https?:\/\//.test(v), 'must be an http:// or https:// URL')
    .optional(),
  FLOTILLA_RATE_LIMITS: z.enum(['on', 'off']).default('on'),
  FLOTILLA_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // rpc-protocol §4.3: 15 minutes either way by default; nonces are kept for at least 31 minutes.
  FLOTILLA_TIMESTAMP_WINDOW_MINUTES: minutes.default(15),
  // fleet-api §1.5: the zone of the `yyyy-MM-dd HH:mm:ss` "Gmt" fields, +08:00 in every Alibaba sample.
  FLOTILLA_GMT_OFFSET: z.string().regex(/^[+-]\d{2}:\d{2}$/, 'must look like +08:00').default('+08:00'),
  // fleet-api §5.1: QueryDeviceDetail `Region` is cosmetic.
  FLOTILLA_REGION: z.string().min(1).default('cn-shanghai'),
  // Key that encrypts device, product and API secrets at rest (64 hex characters). When unset, a key is
  // generated once and kept in FLOTILLA_DATA_DIR/master.key; instances sharing a database must share it.
  FLOTILLA_MASTER_KEY: z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex characters').optional(),
  // Firmware issue: largest package file, above Alibaba's 1,000 MB (spec README "Beyond Alibaba's ceilings").
  FLOTILLA_MAX_PACKAGE_MB: z.coerce.number().int().min(1).max(1024 * 1024).default(2048),
  // fleet-api §8 / spec README: a device-name list file for DnListFileUrl, streamed, never loaded whole.
  FLOTILLA_MAX_DEVICE_LIST_MB: z.coerce.number().int().min(1).max(1024 * 1024).default(64),
  // ota-api §2.1: an upload slot (the signed policy) is valid for 60 s on Alibaba.
  FLOTILLA_UPLOAD_SLOT_SECONDS: z.coerce.number().int().min(10).max(24 * 3600).default(60),
  // ota-api §2.2: Alibaba allows 500 packages per instance; a quota, not part of the API's meaning.
  FLOTILLA_MAX_FIRMWARE_PER_INSTANCE: z.coerce.number().int().min(1).max(10_000_000).default(10_000),
  // Lifetime of the signed HTTPS download URLs handed to devices and returned by QueryOTAFirmware.
  FLOTILLA_DOWNLOAD_URL_TTL_HOURS: z.coerce.number().min(0.01).max(24 * 30).default(24),
  // Device gateway (device-protocol.md §1): MQTT over TLS when a port is set (needs the PEM files below), and
  // MQTT over WebSocket at path /mqtt of the HTTP server.
  FLOTILLA_MQTT_TLS_PORT: port.optional(),
  FLOTILLA_TLS_CERT: z.string().min(1).optional(),
  FLOTILLA_TLS_KEY: z.string().min(1).optional(),
  FLOTILLA_MQTT_WEBSOCKET: z.enum(['on', 'off']).default('on'),
});

export type Settings = z.infer<typeof settingsSchema>;
export const settingNames = Object.keys(settingsSchema.shape) as (keyof Settings)[];

export interface Config {
  readonly host: string;
  readonly httpPort: number;
  readonly mqttPort: number;
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  readonly bootstrapKey: { readonly accessKeyId: string; readonly accessKeySecret: string } | undefined;
  /** Base of every URL handed out, without a trailing slash; undefined means http://HOST:HTTP_PORT as bound. */
  readonly publicUrl: string | undefined;
  readonly rateLimits: boolean;
  readonly logLevel: Settings['FLOTILLA_LOG_LEVEL'];
  readonly timestampWindowMs: number;
  readonly gmtOffsetMinutes: number;
  readonly region: string;
  readonly masterKeyHex: string | undefined;
  readonly maxPackageBytes: number;
  readonly maxDeviceListBytes: number;
  readonly uploadSlotMs: number;
  readonly maxFirmwarePerInstance: number;
  readonly downloadUrlTtlMs: number;
  /** MQTT over TLS: port and PEM file paths, or undefined when off. */
  readonly mqttTls: { readonly port: number; readonly certFile: string; readonly keyFile: string } | undefined;
  readonly mqttWebSocket: boolean;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/**
 * Reads the FLOTILLA_* variables from `env` (flags already merged in by the CLI); lists every problem.
 * `labels` names a setting in messages the way the user gave it (the CLI adds the flag, e.g.
 * "FLOTILLA_HTTP_PORT (--http-port)").
 */
export function loadConfig(env: Record<string, string | undefined>, labels: Partial<Record<string, string>> = {}): Config {
  const picked: Record<string, string> = {};
  for (const name of settingNames) {
    const value = env[name];
    // The start contract makes an empty FLOTILLA_DATABASE_URL mean "unset"; every setting follows that rule,
    // so `FLOTILLA_HTTP_PORT=` in a compose file means the default 8080, not port 0.
    if (value !== undefined && value.trim() !== '') picked[name] = value;
  }
  const parsed = settingsSchema.safeParse(picked);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => {
        const name = String(i.path[0] ?? 'settings');
        return `${labels[name] ?? name}: ${i.message}`;
      }),
    );
  }
  const s = parsed.data;
  const problems: string[] = [];
  if ((s.FLOTILLA_ACCESS_KEY_ID === undefined) !== (s.FLOTILLA_ACCESS_KEY_SECRET === undefined)) {
    const missing = s.FLOTILLA_ACCESS_KEY_ID === undefined ? 'FLOTILLA_ACCESS_KEY_ID' : 'FLOTILLA_ACCESS_KEY_SECRET';
    problems.push(`${labels[missing] ?? missing}: missing; FLOTILLA_ACCESS_KEY_ID and FLOTILLA_ACCESS_KEY_SECRET must be set together`);
  }
  const tlsParts = { FLOTILLA_MQTT_TLS_PORT: s.FLOTILLA_MQTT_TLS_PORT, FLOTILLA_TLS_CERT: s.FLOTILLA_TLS_CERT, FLOTILLA_TLS_KEY: s.FLOTILLA_TLS_KEY };
  const tlsGiven = Object.values(tlsParts).filter((v) => v !== undefined).length;
  if (tlsGiven > 0 && tlsGiven < 3) {
    for (const [name, value] of Object.entries(tlsParts)) {
      if (value === undefined) problems.push(`${labels[name] ?? name}: missing; FLOTILLA_MQTT_TLS_PORT, FLOTILLA_TLS_CERT and FLOTILLA_TLS_KEY must be set together`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const [, sign, hh, mm] = /^([+-])(\d{2}):(\d{2})$/.exec(s.FLOTILLA_GMT_OFFSET)!;
  return Object.freeze({
    host: s.FLOTILLA_HOST,
    httpPort: s.FLOTILLA_HTTP_PORT,
    mqttPort: s.FLOTILLA_MQTT_PORT,
    dataDir: s.FLOTILLA_DATA_DIR,
    databaseUrl: s.FLOTILLA_DATABASE_URL,
    bootstrapKey:
      s.FLOTILLA_ACCESS_KEY_ID !== undefined && s.FLOTILLA_ACCESS_KEY_SECRET !== undefined
        ? { accessKeyId: s.FLOTILLA_ACCESS_KEY_ID, accessKeySecret: s.FLOTILLA_ACCESS_KEY_SECRET }
        : undefined,
    publicUrl: s.FLOTILLA_PUBLIC_URL?.replace(/\/+$/, ''),
    rateLimits: s.FLOTILLA_RATE_LIMITS === 'on',
    logLevel: s.FLOTILLA_LOG_LEVEL,
    timestampWindowMs: s.FLOTILLA_TIMESTAMP_WINDOW_MINUTES * 60_000,
    gmtOffsetMinutes: (sign === '-' ? -1 : 1) * (Number(hh) * 60 + Number(mm)),
    region: s.FLOTILLA_REGION,
    masterKeyHex: s.FLOTILLA_MASTER_KEY,
    maxPackageBytes: s.FLOTILLA_MAX_PACKAGE_MB * 1024 * 1024,
    maxDeviceListBytes: s.FLOTILLA_MAX_DEVICE_LIST_MB * 1024 * 1024,
    uploadSlotMs: s.FLOTILLA_UPLOAD_SLOT_SECONDS * 1000,
    maxFirmwarePerInstance: s.FLOTILLA_MAX_FIRMWARE_PER_INSTANCE,
    downloadUrlTtlMs: Math.round(s.FLOTILLA_DOWNLOAD_URL_TTL_HOURS * 3600_000),
    mqttTls:
      s.FLOTILLA_MQTT_TLS_PORT !== undefined && s.FLOTILLA_TLS_CERT !== undefined && s.FLOTILLA_TLS_KEY !== undefined
        ? { port: s.FLOTILLA_MQTT_TLS_PORT, certFile: s.FLOTILLA_TLS_CERT, keyFile: s.FLOTILLA_TLS_KEY }
        : undefined,
    mqttWebSocket: s.FLOTILLA_MQTT_WEBSOCKET === 'on',
  });
}
