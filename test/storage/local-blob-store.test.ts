import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BlobTooLargeError, type BlobStore } from '../../src/storage/blob/blob-store.js';
import { createLocalBlobStore } from '../../src/storage/blob/local-blob-store.js';

async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A source of `total` bytes in 64 KiB chunks, produced lazily. */
function generated(total: number, seed = 7): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) return this.push(null);
      const n = Math.min(65536, total - sent);
      const chunk = Buffer.alloc(n, (sent / 65536 + seed) % 251);
      sent += n;
      this.push(chunk);
    },
  });
}

describe('local blob store', () => {
  let dir: string;
  let store: BlobStore;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-blobs-'));
    store = await createLocalBlobStore(dir);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('stores bytes with their size, MD5 and SHA-256, and reads them back whole and by range', async () => {
    const data = randomBytes(300_000);
    const blob = await store.put(Readable.from([data.subarray(0, 1000), data.subarray(1000)]), { maxBytes: 1_000_000 });
    expect(blob.size).toBe(300_000);
    expect(blob.md5).toBe(createHash('md5').update(data).digest('hex'));
    expect(blob.sha256).toBe(createHash('sha256').update(data).digest('hex'));
    expect(await store.size(blob.blobId)).toBe(300_000);
    expect((await bytesOf(store.read(blob.blobId))).equals(data)).toBe(true);
    expect((await bytesOf(store.read(blob.blobId, { start: 10, end: 19 }))).equals(data.subarray(10, 20))).toBe(true);
  });

  it('stores an empty file', async () => {
    const blob = await store.put(Readable.from([]), { maxBytes: 10 });
    expect(blob.size).toBe(0);
    expect(blob.md5).toBe('d41d8cd98f00b204e9800998ecf8427e');
    expect(await text(store.read(blob.blobId))).toBe('');
  });

  it('abandons a file over the limit and leaves nothing behind', async () => {
    await expect(store.put(generated(5 * 65536), { maxBytes: 4 * 65536 })).rejects.toBeInstanceOf(BlobTooLargeError);
    expect(readdirSync(join(dir, 'blobs', 'tmp'))).toEqual([]);
    expect(readdirSync(join(dir, 'blobs')).filter((d) => d !== 'tmp')).toEqual([]);
  });

  it('leaves nothing behind when the source fails midway', async () => {
    const failing = new Readable({
      read() {
        this.push(Buffer.alloc(1000));
        this.destroy(new Error('connection reset'));
      },
    });
    await expect(store.put(failing, { maxBytes: 1_000_000 })).rejects.toThrow('connection reset');
    expect(readdirSync(join(dir, 'blobs', 'tmp'))).toEqual([]);
  });

  it('streams a large file without holding it in memory', async () => {
    const before = process.memoryUsage().arrayBuffers;
    const blob = await store.put(generated(64 * 1024 * 1024), { maxBytes: 100 * 1024 * 1024 });
    expect(blob.size).toBe(64 * 1024 * 1024);
    // A buffered copy would add 64 MiB of array buffers.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(32 * 1024 * 1024);
  });

  it('sweeps partial files left by a crash, and deletes blobs', async () => {
    writeFileSync(join(dir, 'blobs', 'tmp', 'abc.part'), 'half');
    const fresh = await createLocalBlobStore(dir);
    expect(await fresh.sweep()).toBe(1);
    const blob = await fresh.put(Readable.from([Buffer.from('x')]), { maxBytes: 10 });
    await fresh.delete(blob.blobId);
    expect(await fresh.size(blob.blobId)).toBeUndefined();
  });

  it('refuses ids that are not blob ids', () => {
    expect(() => store.read('../../etc/passwd')).toThrow('not a blob id');
  });
});
