import { createHash } from 'node:crypto';
import { type IncomingHttpHeaders, request } from 'node:http';

export interface Fetched {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/**
 * One request over a fresh connection, the path sent exactly as given (no normalisation of `..` or
 * re-encoding, unlike fetch), the whole body collected.
 */
export function fetchRaw(baseUrl: string, path: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<Fetched> {
  const target = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: target.hostname, port: Number(target.port), method: options.method ?? 'GET', path, headers: options.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** The path and query of a signed URL, for fetchRaw. */
export function pathOf(url: string): string {
  const u = new URL(url);
  return u.pathname + u.search;
}

/**
 * Starts a GET and stops reading once at least `atLeast` bytes arrived: destroys the connection, as a
 * device that loses its link does. Returns the bytes received (possibly a little more than asked).
 */
export function fetchInterrupted(baseUrl: string, path: string, atLeast: number): Promise<{ status: number; headers: IncomingHttpHeaders; received: Buffer }> {
  const target = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = request({ host: target.hostname, port: Number(target.port), method: 'GET', path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let got = 0;
      res.on('data', (c: Buffer) => {
        chunks.push(c);
        got += c.length;
        if (got >= atLeast) {
          req.destroy();
          resolve({ status: res.statusCode ?? 0, headers: res.headers, received: Buffer.concat(chunks) });
        }
      });
      // After the destroy the response reports an abort; the result is already settled.
      res.on('error', () => undefined);
      res.on('end', () => reject(new Error(`the whole body (${got} bytes) arrived before the interruption`)));
    });
    req.on('error', (err) => {
      if (!req.destroyed) reject(err);
    });
    req.end();
  });
}

export const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
