import { randomUUID } from 'node:crypto';
import { type Agent, request, type IncomingMessage } from 'node:http';
import { rpcSignature, rpcStringToSign } from '../../src/api/rpc/signature-rpc.js';
import type { Credentials } from './clients.js';

/** A classic-signed (HMAC-SHA1) POST form body for `action`, as pop-core would send it (rpc-protocol §6). */
export function signedForm(action: string, params: Record<string, string>, key: Credentials): string {
  const all = new Map<string, string>(
    Object.entries({
      Action: action,
      Version: '2018-01-20',
      Format: 'JSON',
      AccessKeyId: key.accessKeyId,
      SignatureMethod: 'HMAC-SHA1',
      SignatureVersion: '1.0',
      SignatureNonce: randomUUID(),
      Timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      ...params,
    }),
  );
  all.set('Signature', rpcSignature(rpcStringToSign('POST', all), key.accessKeySecret));
  return new URLSearchParams([...all]).toString();
}

export interface SlowRequest {
  /** Sends the rest of the body; the answer follows. */
  finish(): void;
  readonly response: Promise<{ status: number; connection: string | undefined; body: string }>;
}

/**
 * A request in flight: headers and half of the body are sent now, the rest only on `finish()`. Used to
 * show that a request the server has already accepted still gets its answer during shutdown. With a
 * keep-alive `agent` the connection stays open after the answer, as the official clients keep theirs.
 */
export function startSlowPost(url: string, body: string, agent?: Agent): SlowRequest {
  const bytes = Buffer.from(body);
  const half = Math.floor(bytes.length / 2);
  const req = request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': bytes.length },
    agent,
  });
  const response = new Promise<{ status: number; connection: string | undefined; body: string }>((resolve, reject) => {
    req.on('error', reject);
    req.on('response', (res: IncomingMessage) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body: text }));
      res.on('error', reject);
    });
  });
  req.flushHeaders();
  req.write(bytes.subarray(0, half));
  return { finish: () => req.end(bytes.subarray(half)), response };
}
