import { request } from 'node:http';
import type { RawRequest } from './sign.js';

export interface RawResponse {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly text: string;
  /** The parsed body when it is JSON, else undefined. */
  readonly json: Record<string, unknown> | undefined;
}

/**
 * Sends `req` over real HTTP to `url` (http://127.0.0.1:PORT) with the path and query exactly as given
 * (no re-encoding) and its headers, `host` included, as they are.
 */
export function sendRaw(url: string, req: RawRequest): Promise<RawResponse> {
  const target = new URL(url);
  const path = req.rawQuery === '' ? req.path : `${req.path}?${req.rawQuery}`;
  const body = Buffer.from(req.body, 'utf8');
  const headers: Record<string, string> = { host: target.host, ...req.headers };
  if (body.length > 0 || req.method === 'POST') headers['content-length'] ??= String(body.length);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      { host: target.hostname, port: Number(target.port), method: req.method, path, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: Record<string, unknown> | undefined;
          try {
            json = JSON.parse(text) as Record<string, unknown>;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], text, json });
        });
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}
