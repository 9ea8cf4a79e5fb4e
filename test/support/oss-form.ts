import { randomBytes } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { iot } from './clients.js';
import type { sdkClient } from './clients.js';

type Client = ReturnType<typeof sdkClient>;

/** What GenerateOTAUploadURL answered, as the form needs it. */
export interface UploadSlot {
  host: string;
  key: string;
  policy: string;
  signature: string;
  accessKeyId: string;
  firmwareUrl: string;
}

export async function issueUploadSlot(client: Client, fileSuffix?: string): Promise<UploadSlot> {
  const res = await client.generateOTAUploadURL(new iot.GenerateOTAUploadURLRequest({ fileSuffix }));
  if (!res.body.success) throw new Error(`GenerateOTAUploadURL failed: ${res.body.code}`);
  const d = res.body.data!;
  return { host: d.host!, key: d.key!, policy: d.policy!, signature: d.signature!, accessKeyId: d.OSSAccessKeyId!, firmwareUrl: d.firmwareUrl! };
}

/** The form fields in the order Alibaba's and OSS's samples send them. */
export function formFields(slot: UploadSlot, overrides: Partial<Record<'key' | 'OSSAccessKeyId' | 'policy' | 'Signature', string>> = {}): [string, string][] {
  return [
    ['key', overrides.key ?? slot.key],
    ['OSSAccessKeyId', overrides.OSSAccessKeyId ?? slot.accessKeyId],
    ['policy', overrides.policy ?? slot.policy],
    ['Signature', overrides.Signature ?? slot.signature],
    ['success_action_status', '200'],
  ];
}

export interface FormAnswer {
  status: number;
  headers: Headers;
  text: string;
}

/** A plain multipart POST with fetch/FormData, like a browser or the OSS docs' samples; `file` last. */
export async function postForm(url: string, fields: [string, string][], file?: { content: Buffer; filename?: string; type?: string }): Promise<FormAnswer> {
  const form = new FormData();
  for (const [name, value] of fields) form.append(name, value);
  if (file !== undefined) form.append('file', new Blob([file.content], file.type ? { type: file.type } : {}), file.filename ?? 'firmware.bin');
  const res = await fetch(url, { method: 'POST', body: form });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** Uploads `content` through a fresh slot; returns the slot (its firmwareUrl is what CreateOTAFirmware takes). */
export async function uploadFile(client: Client, content: Buffer, fileSuffix?: string): Promise<UploadSlot> {
  const slot = await issueUploadSlot(client, fileSuffix);
  const answer = await postForm(slot.host, formFields(slot), { content });
  if (answer.status !== 200) throw new Error(`upload failed: ${answer.status} ${answer.text}`);
  return slot;
}

/** A hand-built multipart body around a file of `fileBytes` bytes: the bytes before and after the file's content. */
export function multipartFrame(fields: [string, string][], file: { filename: string; contentType?: string }): { boundary: string; head: Buffer; tail: Buffer } {
  const boundary = `----flotilla${randomBytes(8).toString('hex')}`;
  let head = '';
  for (const [name, value] of fields) head += `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  head += `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.filename}"\r\n`;
  head += `Content-Type: ${file.contentType ?? 'application/octet-stream'}\r\n\r\n`;
  return { boundary, head: Buffer.from(head, 'utf8'), tail: Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8') };
}

export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/**
 * POST with node:http, the body written from `chunks` with backpressure. Resolves with the answer even when the
 * server answers before the body is complete (an early refusal) and the rest of the upload then fails.
 */
export function postStream(url: string, headers: Record<string, string>, chunks: Iterable<Buffer> | AsyncIterable<Buffer>): Promise<RawAnswer> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(
      { host: target.hostname, port: Number(target.port), method: 'POST', path: target.pathname + target.search, headers, agent: false },
      (res) => {
        answered = true;
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('error', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(parts).toString('utf8') }));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(parts).toString('utf8') }));
      },
    );
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    req.flushHeaders();
    void (async () => {
      try {
        for await (const chunk of chunks) {
          if (answered || req.destroyed) return;
          if (!req.write(chunk)) {
            await new Promise<void>((r) => {
              const done = () => {
                req.off('drain', done).off('close', done);
                r();
              };
              req.on('drain', done).on('close', done);
            });
          }
        }
        req.end();
      } catch {
        // the server closed the connection after answering
      }
    })();
  });
}

/** Every file (not directory) under `dir`, recursively. */
export function filesUnder(dir: string): string[] {
  let out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out = out.concat(filesUnder(path));
    else out.push(path);
  }
  return out;
}

/** An OSS XML error's Code. */
export function ossCode(text: string): string | undefined {
  return /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
}
