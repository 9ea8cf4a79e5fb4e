import http from 'node:http';
import net from 'node:net';
import type { WireRequest } from '../support/fuzz-sign.js';

export interface WireResponse {
  readonly status: number;
  /** Lower-case header names; the last value wins. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/** Every request must be answered within this time; longer counts as a hang. */
export const CLIENT_TIMEOUT_MS = 10_000;

/** The keep-alive race of Node's HTTP client (see `request.reusedSocket` in the Node docs): safe to retry. */
export class StaleSocketError extends Error {
  constructor(override readonly cause: Error) {
    super(`stale keep-alive socket: ${cause.message}`);
  }
}

/** Sends a well-formed request over a keep-alive connection with node:http. */
export function sendHttp(agent: http.Agent, port: number, req: WireRequest): Promise<WireResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    for (const [name, value] of req.headers) headers[name] = value;
    if (req.body.length > 0) headers['content-length'] = String(req.body.length);
    const r = http.request({ host: '127.0.0.1', port, method: req.method, path: req.path, headers, agent, setHost: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const h: Record<string, string> = {};
        for (const [name, value] of Object.entries(res.headers)) h[name] = Array.isArray(value) ? value.join(', ') : String(value);
        resolve({ status: res.statusCode ?? 0, headers: h, body: Buffer.concat(chunks) });
      });
      res.on('error', reject);
    });
    r.setTimeout(CLIENT_TIMEOUT_MS, () => r.destroy(new Error(`no answer within ${CLIENT_TIMEOUT_MS} ms`)));
    // A keep-alive socket the server closed as idle just as we reused it: the request never reached it.
    r.on('error', (err: Error & { code?: string }) => reject(r.reusedSocket && err.code === 'ECONNRESET' ? new StaleSocketError(err) : err));
    r.end(req.body);
  });
}

/**
 * Writes raw bytes on a fresh connection and reads until the server closes it (the bytes should ask for
 * `Connection: close`). Resolves undefined when the server closed without answering.
 */
export function sendRaw(port: number, bytes: Buffer): Promise<WireResponse | undefined> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      socket.destroy();
      const data = Buffer.concat(chunks);
      if (data.length > 0) {
        try {
          return resolve(parseResponse(data));
        } catch (parseErr) {
          return reject(parseErr);
        }
      }
      if (err) return reject(err);
      resolve(undefined);
    };
    socket.setTimeout(CLIENT_TIMEOUT_MS, () => finish(new Error(`no answer within ${CLIENT_TIMEOUT_MS} ms`)));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => finish());
    socket.on('close', () => finish());
    // The server may answer and close before it read everything we wrote (EPIPE/ECONNRESET): keep what came.
    socket.on('error', (err) => finish(err));
    socket.write(bytes);
  });
}

/** One HTTP/1.1 response: status line, headers, then a Content-Length, chunked or read-to-close body. */
export function parseResponse(data: Buffer): WireResponse {
  // `expect: 100-continue` gets an interim answer first; the final one follows.
  while (/^HTTP\/1\.[01] 1\d\d /.test(data.subarray(0, 16).toString('latin1'))) {
    const end = data.indexOf('\r\n\r\n');
    if (end === -1) break;
    data = data.subarray(end + 4);
  }
  const headEnd = data.indexOf('\r\n\r\n');
  if (headEnd === -1) throw new Error(`incomplete response head: ${JSON.stringify(data.toString('latin1').slice(0, 200))}`);
  const lines = data.subarray(0, headEnd).toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
  if (m === null) throw new Error(`bad status line: ${JSON.stringify(lines[0])}`);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = data.subarray(headEnd + 4);
  if (headers['content-length'] !== undefined) body = body.subarray(0, Number(headers['content-length']));
  else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) body = dechunk(body);
  return { status: Number(m[1]), headers, body };
}

function dechunk(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd === -1) break;
    const size = Number.parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
