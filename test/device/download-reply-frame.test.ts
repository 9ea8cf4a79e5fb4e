import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createBlockReadGate } from '../../src/device/ota/block-read-gate.js';
import { crc16Arc } from '../../src/device/ota/crc16.js';
import { frameDownloadReply } from '../../src/device/ota/download-reply-frame.js';

/** The bitwise definition of CRC-16/ARC, to check the table-driven one against. */
function crcBitwise(data: Uint8Array): number {
  let crc = 0;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

describe('CRC-16/ARC', () => {
  it('has the catalogue check value 0xBB3D for "123456789"', () => {
    expect(crc16Arc(Buffer.from('123456789', 'ascii'))).toBe(0xbb3d);
  });

  it('is 0 for no bytes and matches the bitwise definition', () => {
    expect(crc16Arc(new Uint8Array(0))).toBe(0);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => crc16Arc(bytes) === crcBitwise(bytes)));
  });
});

describe('download_reply framing', () => {
  it('is header length (big-endian), JSON header, data, CRC of the data (little-endian)', () => {
    const data = Buffer.from('123456789', 'ascii');
    const header = { id: '126', code: 200, msg: 'success', data: { fileToken: 'default', fileLength: 432945, bSize: 9, bOffset: 0 } };
    const frame = frameDownloadReply(header, data);
    const json = '{"id":"126","code":200,"msg":"success","data":{"fileToken":"default","fileLength":432945,"bSize":9,"bOffset":0}}';
    expect(frame.readUInt16BE(0)).toBe(json.length);
    expect(frame.subarray(2, 2 + json.length).toString()).toBe(json);
    expect(frame.subarray(2 + json.length, 2 + json.length + 9).equals(data)).toBe(true);
    // 0xBB3D little-endian: 0x3D first.
    expect([...frame.subarray(-2)]).toEqual([0x3d, 0xbb]);
    expect(frame.length).toBe(2 + json.length + 9 + 2);
  });

  it('an error reply has no data and the CRC of nothing', () => {
    const frame = frameDownloadReply({ id: 5, code: 460, msg: 'bad', data: { bSize: 0, bOffset: 3 } });
    const length = frame.readUInt16BE(0);
    expect(JSON.parse(frame.subarray(2, 2 + length).toString())).toEqual({ id: 5, code: 460, msg: 'bad', data: { bSize: 0, bOffset: 3 } });
    expect(frame.length).toBe(2 + length + 2);
    expect(frame.readUInt16LE(2 + length)).toBe(0);
  });

  it('keeps a header whose length needs both bytes', () => {
    const token = 'x'.repeat(300);
    const frame = frameDownloadReply({ code: 200, msg: 'success', data: { fileToken: token, bSize: 1 } }, Buffer.from([7]));
    expect(frame.readUInt16BE(0)).toBeGreaterThan(255);
    expect(JSON.parse(frame.subarray(2, 2 + frame.readUInt16BE(0)).toString()).data.fileToken).toBe(token);
  });
});

describe('block read gate', () => {
  it('runs one device’s requests in order and never more than the limit at once', async () => {
    const gate = createBlockReadGate(2);
    let running = 0;
    let peak = 0;
    const order: string[] = [];
    const work = (name: string) => async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setImmediate(r));
      order.push(name);
      running--;
      return name;
    };
    const jobs = ['a1', 'b1', 'a2', 'c1', 'a3', 'b2'].map((name) => gate.run(name[0]!, work(name)));
    expect(await Promise.all(jobs)).toEqual(['a1', 'b1', 'a2', 'c1', 'a3', 'b2']);
    expect(peak).toBe(2);
    expect(order.filter((n) => n.startsWith('a'))).toEqual(['a1', 'a2', 'a3']);
    expect(order.filter((n) => n.startsWith('b'))).toEqual(['b1', 'b2']);
  });

  it('goes on after a failing request', async () => {
    const gate = createBlockReadGate(1);
    const failed = gate.run('a', async () => {
      throw new Error('boom');
    });
    await expect(failed).rejects.toThrow('boom');
    expect(await gate.run('a', async () => 'next')).toBe('next');
  });
});
