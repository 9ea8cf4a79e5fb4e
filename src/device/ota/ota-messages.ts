import { z } from 'zod';
import { DEFAULT_MODULE, type ProgressReport, type VersionReport } from '../../domain/rollout/device-ota-events.js';
import { parseLenientJson } from './lenient-json.js';

/**
 * The JSON messages devices publish on the OTA up topics (device-protocol.md §4.1, §4.3–§4.5), checked
 * before anything reaches the rollout side. A message either parses into one of the types below or is
 * refused with the reason (for the log line) and whether it was malformed or well-formed but ignored.
 */

/** The `id` a device gave; replies echo it with the same JSON type (§4.4). */
export type MessageId = string | number;

export type Parsed<T> = { ok: true; message: T } | { ok: false; outcome: 'malformed' | 'ignored'; reason: string };

/**
 * OTA control messages are a few hundred bytes; 16 KB leaves room for a long failure `desc` while keeping
 * a flood of large messages cheap to refuse (the broker already cuts packets above 256 KB).
 */
export const MAX_OTA_MESSAGE_BYTES = 16 * 1024;

// §4.1: 0–4294967295 as a number (C SDKs). As a string the docs use decimal text, but the Node SDK's own Alink
// messages carry a GUID (optionally `|exp-topic|…`), so any non-empty string up to 256 characters is accepted.
const MAX_NUMERIC_ID = 4_294_967_295;
const MAX_STRING_ID_CHARS = 256;
// ota-api §2.2 DestVersion and §5.1 ModuleName: `^[A-Za-z0-9._-]{1,64}$`. Module names must have that form (no
// other module can exist); a reported version only has to be 1–64 characters without control characters,
// because a device may run a version that was not installed through Flotilla.
const MODULE_NAME = /^[A-Za-z0-9._-]{1,64}$/;
const MAX_VERSION_CHARS = 64;
const NO_CONTROL_CHARACTERS = /^[^\u0000-\u001f\u007f-\u009f]*$/;
// §4.3 desc is free text; kept, but cut, so a device cannot make every progress row large.
const MAX_DESC_CHARS = 1024;

const messageId = z.union([z.number().int().min(0).max(MAX_NUMERIC_ID), z.string().min(1).max(MAX_STRING_ID_CHARS)]);
// An empty module is read as "no module" (unconfirmed: devices built on the C SDKs may send "" when none is set).
const moduleName = z.union([z.literal(''), z.string().regex(MODULE_NAME)]).optional();
const version = z.string().min(1).max(MAX_VERSION_CHARS).regex(NO_CONTROL_CHARACTERS);
// §4.3: a string in docs and both C SDKs ("%d"), numbers accepted too. Integer text only: "45.5" or " 45" are malformed.
const step = z.union([z.number().int(), z.string().regex(/^-?\d{1,6}$/).transform(Number)]);

const informSchema = z.object({ id: messageId, params: z.object({ version, module: moduleName }) });
const progressSchema = z.object({
  id: messageId,
  params: z.object({ step, desc: z.string().optional(), module: moduleName }),
});
const firmwareGetSchema = z.object({ id: messageId, params: z.object({ module: moduleName }).optional() });
const legacyRequestSchema = z.object({ id: messageId, params: z.object({ version: version.optional(), module: moduleName }).optional() });

export interface InformMessage {
  readonly id: MessageId;
  readonly report: VersionReport;
}

export interface ProgressMessage {
  readonly id: MessageId;
  readonly report: ProgressReport;
}

export interface PullMessage {
  readonly id: MessageId;
  /** The module asked about; undefined = any module (§4.4). */
  readonly module: string | undefined;
}

/** §4.1 */
export function parseInform(payload: Buffer): Parsed<InformMessage> {
  return parse(payload, informSchema, (m) => ({ ok: true, message: { id: m.id, report: { module: moduleOrDefault(m.params.module), version: m.params.version } } }));
}

/** §4.3: steps outside −4…100, and 0, are well-formed but ignored (unconfirmed). */
export function parseProgress(payload: Buffer): Parsed<ProgressMessage> {
  return parse(payload, progressSchema, (m) => {
    const { step, desc } = m.params;
    // ProgressReport carries 1–100 (percent) and −1…−4 (failures). 0 (the C SDK 3.x "fetch started" minimum) says
    // nothing the rollout side acts on, so it is ignored like other out-of-range values (unconfirmed).
    if (step < -4 || step > 100 || step === 0) return { ok: false, outcome: 'ignored', reason: `step ${step} outside −4…−1 and 1…100` };
    const report = { module: moduleOrDefault(m.params.module), step, desc: cut(desc) };
    return { ok: true, message: { id: m.id, report } };
  });
}

/** §4.4: `params` may be absent or `{}` (C SDK 4.x); a module narrows the answer to that module. */
export function parseFirmwareGet(payload: Buffer): Parsed<PullMessage> {
  return parse(payload, firmwareGetSchema, (m) => ({ ok: true, message: { id: m.id, module: moduleOrAny(m.params?.module) } }));
}

/**
 * §4.5: the C SDK 3.x sends `{"id":N,"params":{"version":"…"}}`. It knows no modules, so the answer is about the
 * default module unless the request names one (a Flotilla extension; unconfirmed whether Alibaba reads it).
 */
export function parseLegacyRequest(payload: Buffer): Parsed<PullMessage> {
  return parse(payload, legacyRequestSchema, (m) => ({ ok: true, message: { id: m.id, module: moduleOrDefault(m.params?.module) } }));
}

function parse<S extends z.ZodType, T>(payload: Buffer, schema: S, build: (message: z.output<S>) => Parsed<T>): Parsed<T> {
  const json = parseLenientJson(payload, MAX_OTA_MESSAGE_BYTES);
  if (json === undefined) {
    const reason = payload.length > MAX_OTA_MESSAGE_BYTES ? `payload of ${payload.length} bytes exceeds ${MAX_OTA_MESSAGE_BYTES}` : 'not JSON';
    return { ok: false, outcome: 'malformed', reason };
  }
  const checked = schema.safeParse(json);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    return { ok: false, outcome: 'malformed', reason: `${issue?.path.join('.') || 'message'}: ${issue?.message ?? 'invalid'}` };
  }
  return build(checked.data);
}

/** At most MAX_DESC_CHARS characters (code points, so a surrogate pair is never split); short texts as they are. */
function cut(desc: string | undefined): string | undefined {
  if (desc === undefined || desc.length <= MAX_DESC_CHARS) return desc;
  return [...desc].slice(0, MAX_DESC_CHARS).join('');
}

// `Default`, `DEFAULT` … name the default module too: module names are case-insensitive (ota-api §1.8).
function moduleOrDefault(module: string | undefined): string {
  return moduleOrAny(module) ?? DEFAULT_MODULE;
}

function moduleOrAny(module: string | undefined): string | undefined {
  if (module === undefined || module === '') return undefined;
  return module.toLowerCase() === DEFAULT_MODULE ? DEFAULT_MODULE : module;
}
