import { randomBytes } from 'node:crypto';
import { readdirSync, readlinkSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalBlobStore } from '../../src/storage/blob/local-blob-store.js';
import { iot, sdkClient } from '../support/clients.js';
import { testDialects } from '../support/dialects.js';
import { type Fetched, fetchInterrupted, fetchRaw, md5, pathOf, sha256 } from '../support/download-client.js';
import { uploadFile } from '../support/oss-form.js';
import { createPackage, deletePackageRows, downloadSignerOf, type PackageFixture } from '../support/package-fixtures.js';
import { startTestServer, type TestServer } from '../support/server.js';

const DAY_MS = 24 * 3600_000;
// Beyond the loopback socket buffers, so an interrupted download leaves the server mid-stream.
const BIG = randomBytes(8 * 1024 * 1024 + 12_345);
const SMALL = randomBytes(100_000);

/** Open descriptors of this process (the server runs in it) on files under the blob directory. */
function openBlobFds(dataDir: string): number {
  const blobDir = join(dataDir, 'blobs');
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith(blobDir)) n++;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}

async function until(check: () => boolean, timeoutMs = 3000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}

/** Headers that must be the same for every refusal (request id and date vary by nature). */
function stableHeaders(res: Fetched): Record<string, unknown> {
  const { date: _date, 'x-oss-request-id': _id, connection: _c, 'keep-alive': _k, ...rest } = res.headers;
  return rest;
}

for (const dialect of testDialects()) {
  describe(`package downloads (${dialect})`, () => {
    let server: TestServer;
    let skewMs = 0;
    const clock = { now: () => Date.now() + skewMs };
    let signer: ReturnType<typeof downloadSignerOf>;
    let big: PackageFixture;
    let small: PackageFixture;
    let bigUrl: string;

    const get = (url: string, headers: Record<string, string> = {}, method = 'GET') => fetchRaw(server.url, pathOf(url), { headers, method });

    beforeAll(async () => {
      server = await startTestServer(dialect, { clock });
      signer = downloadSignerOf(server, clock);
      big = await createPackage(server, BIG, { clock });
      small = await createPackage(server, SMALL, { contentType: 'application/zip', clock });
      bigUrl = signer.sign(big.fileId);
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('serves the whole file byte-identical, with length, type, ETag and Accept-Ranges', async () => {
      const res = await get(bigUrl);
      expect(res.status).toBe(200);
      expect(md5(res.body)).toBe(md5(BIG));
      expect(sha256(res.body)).toBe(sha256(BIG));
      expect(res.headers['content-length']).toBe(String(BIG.length));
      expect(res.headers['transfer-encoding']).toBeUndefined();
      expect(res.headers['content-type']).toBe('application/octet-stream');
      expect(res.headers.etag).toBe(`"${md5(BIG)}"`);
      expect(res.headers['accept-ranges']).toBe('bytes');
      expect(Date.parse(res.headers['last-modified']!)).not.toBeNaN();
      expect(res.headers['content-range']).toBeUndefined();

      const zip = await get(signer.sign(small.fileId));
      expect(zip.headers['content-type']).toBe('application/zip');
      expect(zip.body.equals(SMALL)).toBe(true);
    });

    it('answers HEAD with the headers of GET and no body, ranges included', async () => {
      const got = await get(bigUrl);
      const head = await get(bigUrl, {}, 'HEAD');
      expect(head.status).toBe(200);
      expect(head.body.length).toBe(0);
      expect(stableHeaders(head)).toEqual(stableHeaders(got));
      const headRange = await get(bigUrl, { range: 'bytes=10-19' }, 'HEAD');
      expect(headRange.status).toBe(206);
      expect(headRange.headers['content-length']).toBe('10');
      expect(headRange.headers['content-range']).toBe(`bytes 10-19/${BIG.length}`);
      expect(headRange.body.length).toBe(0);
    });

    it('serves every single-range form with 206, Content-Range and Content-Length', async () => {
      const size = BIG.length;
      const cases: [string, number, number][] = [
        ['bytes=0-0', 0, 0],
        ['bytes=100-1099', 100, 1099],
        ['bytes=5000000-', 5_000_000, size - 1],
        ['bytes=-4096', size - 4096, size - 1],
        [`bytes=${size - 10}-${size + 1000}`, size - 10, size - 1], // end past the file is cut to it
        [`bytes=-${size + 5}`, 0, size - 1], // a suffix longer than the file is the whole file
        ['BYTES= 7 - 8 ', 7, 8],
      ];
      for (const [range, start, end] of cases) {
        const res = await get(bigUrl, { range });
        expect(res.status, range).toBe(206);
        expect(res.headers['content-range'], range).toBe(`bytes ${start}-${end}/${size}`);
        expect(res.headers['content-length'], range).toBe(String(end - start + 1));
        expect(res.body.equals(BIG.subarray(start, end + 1)), range).toBe(true);
      }
    });

    it('answers 416 with bytes */size to a range past the end', async () => {
      for (const range of [`bytes=${BIG.length}-`, `bytes=${BIG.length + 10}-${BIG.length + 20}`, 'bytes=-0', 'bytes=99999999999999999999-']) {
        const res = await get(bigUrl, { range });
        expect(res.status, range).toBe(416);
        expect(res.headers['content-range'], range).toBe(`bytes */${BIG.length}`);
        expect(res.body.toString()).toContain('<Code>InvalidRange</Code>');
        expect(res.headers['content-length']).toBe(String(res.body.length));
      }
    });

    it('ignores multi-range and malformed Range headers and sends the whole file', async () => {
      for (const range of ['bytes=0-1,5-6', 'bytes=5-2', 'items=0-1', 'bytes=abc', 'bytes=-', 'bytes=1-2-3', 'bytes 0-1']) {
        const res = await get(signer.sign(small.fileId), { range });
        expect(res.status, range).toBe(200);
        expect(res.headers['content-range'], range).toBeUndefined();
        expect(res.body.equals(SMALL), range).toBe(true);
      }
    });

    it('honours If-Range only while the ETag (or date) still matches', async () => {
      const first = await get(bigUrl, { range: 'bytes=0-99' });
      const etag = first.headers.etag!;
      const lastModified = first.headers['last-modified']!;
      const same = await get(bigUrl, { range: 'bytes=100-199', 'if-range': etag });
      expect(same.status).toBe(206);
      expect(same.body.equals(BIG.subarray(100, 200))).toBe(true);
      const byDate = await get(bigUrl, { range: 'bytes=100-199', 'if-range': lastModified });
      expect(byDate.status).toBe(206);
      for (const other of [`"${md5(SMALL)}"`, `W/${etag}`, new Date(Date.parse(lastModified) - 3600_000).toUTCString()]) {
        const changed = await get(bigUrl, { range: 'bytes=100-199', 'if-range': other });
        expect(changed.status, other).toBe(200);
        expect(changed.body.equals(BIG), other).toBe(true);
      }
    });

    it('resumes an interrupted download from the offset reached, reassembling the same bytes', async () => {
      const part = await fetchInterrupted(server.url, pathOf(bigUrl), 1024 * 1024);
      expect(part.status).toBe(200);
      expect(part.received.length).toBeLessThan(BIG.length);
      const rest = await get(bigUrl, { range: `bytes=${part.received.length}-`, 'if-range': part.headers.etag! });
      expect(rest.status).toBe(206);
      const whole = Buffer.concat([part.received, rest.body]);
      expect(md5(whole)).toBe(md5(BIG));
      expect(sha256(whole)).toBe(sha256(BIG));
      // A second interruption inside a range request, then the tail.
      const mid = await fetchRaw(server.url, pathOf(bigUrl), { headers: { range: 'bytes=0-3000000' } });
      const cut = mid.body.subarray(0, 2_500_000);
      const tail = await get(bigUrl, { range: `bytes=${cut.length}-` });
      expect(sha256(Buffer.concat([cut, tail.body]))).toBe(sha256(BIG));
    });

    it('closes the file when a client goes away mid-download', async () => {
      await until(() => openBlobFds(server.dataDir) === 0);
      expect(openBlobFds(server.dataDir)).toBe(0);
      // A client that reads one chunk and stalls keeps the file open (the probe sees it)…
      const target = new URL(bigUrl);
      const stalled = request({ host: target.hostname, port: Number(target.port), path: pathOf(bigUrl), agent: false });
      stalled.on('error', () => undefined);
      stalled.end();
      await new Promise<void>((resolve) =>
        stalled.on('response', (res) => {
          res.on('error', () => undefined);
          res.once('data', () => {
            res.pause();
            resolve();
          });
        }),
      );
      expect(await until(() => openBlobFds(server.dataDir) === 1)).toBe(true);
      // …and closes it when the connection drops; so do many interrupted downloads at once.
      stalled.destroy();
      await Promise.all(Array.from({ length: 8 }, (_, i) => fetchInterrupted(server.url, pathOf(bigUrl), 64 * 1024 * (i + 1))));
      expect(await until(() => openBlobFds(server.dataDir) === 0)).toBe(true);
    });

    it('serves concurrent downloads and ranges byte-identical', async () => {
      const jobs = Array.from({ length: 24 }, async (_, i) => {
        if (i % 4 === 0) {
          const res = await get(bigUrl);
          return sha256(res.body) === sha256(BIG);
        }
        const start = (i * 331_337) % (BIG.length - 2_000_000);
        const end = start + 1_000_000 + i * 1000;
        const res = await get(bigUrl, { range: `bytes=${start}-${end}` });
        return res.status === 206 && res.body.equals(BIG.subarray(start, end + 1));
      });
      expect(await Promise.all(jobs)).toEqual(Array(24).fill(true));
    });

    it('serves an empty file with Content-Length 0 and refuses any range of it', async () => {
      const empty = await createPackage(server, Buffer.alloc(0), { clock });
      const url = signer.sign(empty.fileId);
      const res = await get(url);
      expect(res.status).toBe(200);
      expect(res.headers['content-length']).toBe('0');
      expect(res.body.length).toBe(0);
      expect((await get(url, { range: 'bytes=0-' })).status).toBe(416);
      expect((await get(url, { range: 'bytes=-1' })).status).toBe(416);
    });

    it('refuses every bad, expired, altered or unknown request with one and the same 403', async () => {
      const url = new URL(bigUrl);
      const q = url.searchParams;
      const at = (path: string, params: Record<string, string | undefined>) => {
        const p = new URLSearchParams();
        for (const [k, v] of Object.entries(params)) if (v !== undefined) p.append(k, v);
        return `${path}?${p.toString()}`;
      };
      const good = { Expires: q.get('Expires')!, OSSAccessKeyId: q.get('OSSAccessKeyId')!, Signature: q.get('Signature')! };
      const sig = good.Signature;
      const flipped = (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1);
      const gone = await createPackage(server, randomBytes(1000), { clock });
      const goneUrl = signer.sign(gone.fileId);
      expect((await get(goneUrl)).status).toBe(200);
      await deletePackageRows(server, gone);
      const noBlob = await createPackage(server, randomBytes(1000), { clock });
      await (await createLocalBlobStore(server.dataDir)).delete(noBlob.blobId);
      const p = url.pathname;
      const smallPath = `/ota/download/${small.fileId}`;
      const signedFor = (id: string) => pathOf(signer.sign(id)).replace(/^[^?]*/, '');

      const paths = [
        at(p, { ...good, Signature: flipped }),
        at(p, { ...good, Signature: sig.slice(0, -1) }),
        at(p, { ...good, Signature: `${sig}=` }),
        at(p, { ...good, Expires: String(Number(good.Expires) + 1) }),
        at(p, { ...good, Expires: '99999999999' }),
        at(p, { ...good, OSSAccessKeyId: 'LTAIsomebodyelse0000' }),
        at(p, { ...good, Signature: undefined }),
        at(p, { ...good, Expires: undefined }),
        at(p, { ...good, OSSAccessKeyId: undefined }),
        at(p, {}),
        `${p}?${q.toString()}&Signature=${encodeURIComponent(sig)}`, // repeated parameter
        at(smallPath, good), // another file's signature
        pathOf(signer.sign(randomBytes(16).toString('hex'))), // unknown id, validly signed
        pathOf(goneUrl), // firmware deleted
        pathOf(signer.sign(noBlob.fileId)), // the blob vanished from disk
        // listing and other shapes
        '/ota/download/',
        `/ota/download/${signedFor('')}`,
        '/ota/download',
        '/ota/',
        '/ota',
        `${p}/${signedFor(big.fileId)}`,
        `${p}/x${signedFor(`${big.fileId}/x`)}`,
        // traversal, validly signed for the strange id so that only the path rules stop it
        `/ota/download/..${signedFor('..')}`,
        `/ota/download/../../master.key${signedFor('../../master.key')}`,
        `/ota/download/..%2F..%2Fmaster.key${signedFor('../../master.key')}`,
        `/ota/download/%2e%2e%2fmaster.key${signedFor('../master.key')}`,
        `/ota/download/${big.fileId}%00${signedFor(`${big.fileId}\0`)}`,
        `/ota/download/${big.fileId}%2F..${signedFor(`${big.fileId}/..`)}`,
        `/ota/download/%zz${signedFor('%zz')}`,
        `/ota/download/.${signedFor('.')}`,
      ];
      const answers = [];
      for (const path of paths) answers.push({ path, res: await fetchRaw(server.url, path) });
      // Other methods, and the expired URL.
      answers.push({ path: 'POST', res: await fetchRaw(server.url, pathOf(bigUrl), { method: 'POST', headers: { 'content-type': 'application/json' } }) });
      answers.push({ path: 'DELETE', res: await fetchRaw(server.url, pathOf(bigUrl), { method: 'DELETE' }) });
      skewMs = DAY_MS + 2000;
      try {
        answers.push({ path: 'expired', res: await get(bigUrl) });
        answers.push({ path: 'expired HEAD', res: await get(bigUrl, {}, 'HEAD') });
      } finally {
        skewMs = 0;
      }

      const reference = answers[0]!.res;
      expect(reference.status).toBe(403);
      expect(reference.headers['content-type']).toBe('application/xml');
      const refBody = reference.body.toString().replace(/<RequestId>[^<]*</, '<RequestId><');
      expect(refBody).toContain('<Code>AccessDenied</Code>');
      for (const { path, res } of answers) {
        expect(res.status, path).toBe(403);
        expect(stableHeaders(res), path).toEqual(stableHeaders(reference));
        if (path.endsWith('HEAD')) {
          expect(res.body.length).toBe(0);
          continue;
        }
        expect(res.body.toString().replace(/<RequestId>[^<]*</, '<RequestId><'), path).toBe(refBody);
        expect(res.body.toString(), path).toContain(`<RequestId>${String(res.headers['x-oss-request-id'])}</RequestId>`);
      }
      // The URL itself still works once the clock is back: the refusals changed nothing.
      expect((await get(bigUrl)).status).toBe(200);
    });

    it('accepts a URL up to its expiry second and refuses it after', async () => {
      const url = signer.sign(small.fileId);
      const expiresMs = Number(new URL(url).searchParams.get('Expires')) * 1000;
      try {
        skewMs = expiresMs - Date.now() - 500;
        expect((await get(url)).status).toBe(200);
        skewMs = expiresMs - Date.now() + 1500;
        expect((await get(url)).status).toBe(403);
      } finally {
        skewMs = 0;
      }
    });

    it('downloads a package uploaded and registered through the official flow, until it is deleted', async () => {
      const client = sdkClient(server.endpoint, server.key, 'v3');
      const content = randomBytes(3 * 1024 * 1024 + 77);
      const slot = await uploadFile(client, content);
      const created = await client.createOTAFirmware(
        new iot.CreateOTAFirmwareRequest({
          firmwareName: `e2e_${Date.now() % 100000}`,
          destVersion: '2.0.0',
          firmwareUrl: slot.firmwareUrl,
          signMethod: 'SHA256',
          firmwareSign: sha256(content),
          firmwareSize: content.length,
          needToVerify: false,
        }),
      );
      expect(created.body.success, created.body.code).toBe(true);
      const firmwareId = created.body.data!.firmwareId!;
      const queried = await client.queryOTAFirmware(new iot.QueryOTAFirmwareRequest({ firmwareId }));
      const url = queried.body.firmwareInfo!.firmwareUrl!;
      expect(url.startsWith(`${server.url}/ota/download/`)).toBe(true);
      expect(new URL(url).searchParams.get('OSSAccessKeyId')).toBe(signer.keyId);

      const whole = await get(url);
      expect(whole.status).toBe(200);
      expect(md5(whole.body)).toBe(md5(content));
      expect(sha256(whole.body)).toBe(sha256(content));
      expect(whole.headers.etag).toBe(`"${md5(content)}"`);
      const part = await fetchInterrupted(server.url, pathOf(url), 512 * 1024);
      const rest = await get(url, { range: `bytes=${part.received.length}-`, 'if-range': part.headers.etag! });
      expect(rest.status).toBe(206);
      expect(sha256(Buffer.concat([part.received, rest.body]))).toBe(sha256(content));

      const deleted = await client.deleteOTAFirmware(new iot.DeleteOTAFirmwareRequest({ firmwareId }));
      expect(deleted.body.success, deleted.body.code).toBe(true);
      expect((await get(url)).status).toBe(403);
    });
  });
  describe(`package downloads at shutdown (${dialect})`, () => {
    it('gives an unfinished download a short grace, then cuts it so shutdown stays bounded', async () => {
      const server = await startTestServer(dialect);
      try {
        const pkg = await createPackage(server, BIG);
        const url = downloadSignerOf(server).sign(pkg.fileId);
        const target = new URL(url);
        const stalled = request({ host: target.hostname, port: Number(target.port), path: pathOf(url), agent: false });
        stalled.on('error', () => undefined);
        stalled.end();
        const res = await new Promise<import('node:http').IncomingMessage>((resolve) => stalled.on('response', resolve));
        res.on('error', () => undefined);
        await new Promise((r) => res.once('data', r));
        res.pause();
        const started = Date.now();
        await server.service.close();
        const tookMs = Date.now() - started;
        // What was in flight still arrives; then the connection ends short of Content-Length.
        let received = 0;
        res.on('data', (c: Buffer) => (received += c.length));
        await new Promise<void>((resolve) => res.once('close', () => resolve()).resume());
        expect(res.complete).toBe(false);
        expect(received).toBeLessThan(BIG.length);
        expect(tookMs).toBeGreaterThanOrEqual(2_500);
        expect(tookMs).toBeLessThan(8_000);
      } finally {
        await server.stop();
      }
    });
  });
}
