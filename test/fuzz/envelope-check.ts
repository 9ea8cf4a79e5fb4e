import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { WireResponse } from './fuzz-http.js';

/** What a well-formed answer turned out to be. */
export type EnvelopeKind = 'success' | 'business' | 'gateway';

export interface Envelope {
  readonly kind: EnvelopeKind;
  readonly status: number;
  /** `{Action}Response` or `Error` (JSON answers: the action is not on the wire, so undefined). */
  readonly root: string | undefined;
  readonly code: string | undefined;
}

const REQUEST_ID = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/;
const XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>';
// Codes that only an unexpected exception produces (rpc-plugin, envelope): a fuzzer finding one found a bug.
const CRASH_CODES = new Set(['InternalError', 'iot.system.SystemException']);
const xml = new XMLParser({ parseTagValue: false, ignoreDeclaration: true });

/**
 * rpc-protocol §9: every answer is JSON (`application/json;charset=utf-8`) or XML (`text/xml;charset=utf-8`)
 * carrying a RequestId; success and business failures are 200 with `Success`, gateway failures 4xx with
 * `Code`/`Message`/`HostId`. Returns the envelope, or throws saying what is wrong.
 */
export function checkEnvelope(res: WireResponse, method: string, surface: Surface = 'rpc'): Envelope | undefined {
  if (res.status >= 500) throw new Error(`HTTP ${res.status}: ${preview(res.body)}`);
  // A HEAD answer has no body by definition; its status and headers are all there is to check.
  if (method === 'HEAD') return undefined;
  const type = res.headers['content-type'] ?? '';
  if (surface === 'oss') {
    // A CORS preflight or an upload answered with success_action_status 200/204 has no body (ota-api §6.3).
    if (res.status < 300 && res.body.length === 0) return { kind: 'success', status: res.status, root: undefined, code: undefined };
    if (type === 'application/xml') return checkOssError(res);
  }
  let fields: Record<string, unknown>;
  let root: string | undefined;
  if (type === 'application/json;charset=utf-8') {
    fields = parseJsonObject(res.body);
  } else if (type === 'text/xml;charset=utf-8') {
    ({ root, fields } = parseXmlEnvelope(res.body));
  } else {
    throw new Error(`HTTP ${res.status} with content-type ${JSON.stringify(type)}: ${preview(res.body)}`);
  }
  const requestId = fields.RequestId;
  if (typeof requestId !== 'string' || !REQUEST_ID.test(requestId)) throw new Error(`no well-formed RequestId: ${preview(res.body)}`);
  const code = typeof fields.Code === 'string' ? fields.Code : undefined;
  if (code !== undefined && CRASH_CODES.has(code)) throw new Error(`unexpected exception (${code}): ${preview(res.body)}`);

  const success = fields.Success;
  if (success === true || success === 'true') {
    if (res.status !== 200 || code !== undefined) throw new Error(`success must be 200 without Code: HTTP ${res.status} ${preview(res.body)}`);
    if (root !== undefined && root === 'Error') throw new Error(`success under <Error>: ${preview(res.body)}`);
    return { kind: 'success', status: res.status, root, code };
  }
  if (success === false || success === 'false') {
    if (res.status !== 200 || code === undefined || typeof fields.ErrorMessage !== 'string') {
      throw new Error(`business failure must be 200 with Code and ErrorMessage: HTTP ${res.status} ${preview(res.body)}`);
    }
    return { kind: 'business', status: res.status, root, code };
  }
  if (res.status < 400 || code === undefined || typeof fields.Message !== 'string' || typeof fields.HostId !== 'string') {
    throw new Error(`gateway failure must be 4xx with Code, Message, HostId: HTTP ${res.status} ${preview(res.body)}`);
  }
  if (root !== undefined && root !== 'Error') throw new Error(`gateway failure under <${root}>: ${preview(res.body)}`);
  return { kind: 'gateway', status: res.status, root, code };
}

/**
 * Which answer format applies: the management API (`/`), or the OSS-style upload and download endpoints
 * (ota-api §6: a multipart POST on `/`, paths under `/oss` and `/ota`), which answer OSS XML errors.
 */
export type Surface = 'rpc' | 'oss';

export function surfaceOf(method: string, target: string, headers: readonly (readonly [string, string])[]): Surface {
  const path = target.split('?', 1)[0]!;
  if (path === '/oss' || path.startsWith('/oss/') || path === '/ota' || path.startsWith('/ota/')) return 'oss';
  // Node keeps the first of duplicate content-type headers; the server routes on it.
  const type = headers.find(([n]) => n.toLowerCase() === 'content-type')?.[1] ?? '';
  return method === 'POST' && path === '/' && /^\s*multipart\/form-data/i.test(type) ? 'oss' : 'rpc';
}

const OSS_REQUEST_ID = /^[0-9A-F]{24}$/;

/** ota-api §6.4: `<Error>` with Code, Message, a 24-hex RequestId and HostId, status 4xx (or a 201 PostResponse). */
function checkOssError(res: WireResponse): Envelope {
  const { root, fields } = parseXmlEnvelope(res.body);
  if (res.status === 201 && root === 'PostResponse') return { kind: 'success', status: res.status, root, code: undefined };
  const ok =
    root === 'Error' && res.status >= 400 && typeof fields.Code === 'string' && typeof fields.Message === 'string' && typeof fields.HostId === 'string';
  if (!ok || typeof fields.RequestId !== 'string' || !OSS_REQUEST_ID.test(fields.RequestId)) {
    throw new Error(`malformed OSS error: HTTP ${res.status} ${preview(res.body)}`);
  }
  return { kind: 'gateway', status: res.status, root, code: `oss:${fields.Code}` };
}

function parseJsonObject(body: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new Error(`body is not JSON: ${preview(body)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`JSON body is not an object: ${preview(body)}`);
  return value as Record<string, unknown>;
}

function parseXmlEnvelope(body: Buffer): { root: string; fields: Record<string, unknown> } {
  const text = body.toString('utf8');
  if (!text.startsWith(XML_HEAD)) throw new Error(`XML without declaration: ${preview(body)}`);
  if (XMLValidator.validate(text) !== true) throw new Error(`malformed XML: ${preview(body)}`);
  const doc = xml.parse(text) as Record<string, unknown>;
  const roots = Object.keys(doc);
  const root = roots[0];
  if (roots.length !== 1 || root === undefined || (root !== 'Error' && !/^[A-Za-z0-9]+Response$/.test(root))) {
    throw new Error(`XML root must be Error or {Action}Response: ${preview(body)}`);
  }
  const fields = doc[root];
  if (typeof fields !== 'object' || fields === null) throw new Error(`empty XML envelope: ${preview(body)}`);
  return { root, fields: fields as Record<string, unknown> };
}

function preview(body: Buffer): string {
  const text = body.toString('utf8');
  return JSON.stringify(text.length > 300 ? `${text.slice(0, 300)}…` : text);
}
