import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseLenientJson, withoutTrailingCommas } from '../../src/device/ota/lenient-json.js';

describe('lenient device JSON (device-protocol §1, §4.7)', () => {
  it('parses strict JSON as JSON.parse does', () => {
    expect(parseLenientJson(Buffer.from('{"id":1,"params":{"version":"1.0.0"}}'))).toEqual({ id: 1, params: { version: '1.0.0' } });
    expect(parseLenientJson('[1,2]')).toEqual([1, 2]);
  });

  it('accepts the C SDK 4.x trailing comma inside an object, and in arrays', () => {
    const c4 = '{"id":"126","version":"1.0","params":{"fileToken":"default","fileInfo":{"streamId":1234,"fileId":1,},"fileBlock":{"size":5120,"offset":0}}}';
    expect(parseLenientJson(Buffer.from(c4))).toMatchObject({ params: { fileInfo: { streamId: 1234, fileId: 1 } } });
    expect(parseLenientJson('{"a":[1,2, ] ,\n}')).toEqual({ a: [1, 2] });
  });

  it('leaves commas inside strings alone', () => {
    expect(parseLenientJson('{"desc":"a,}","x":1,}')).toEqual({ desc: 'a,}', x: 1 });
    expect(parseLenientJson('{"desc":"quote \\" ,]","x":[1,],}')).toEqual({ desc: 'quote " ,]', x: [1] });
    expect(withoutTrailingCommas('{"a":",}"}')).toBe('{"a":",}"}');
  });

  it('tolerates a leading byte-order mark', () => {
    expect(parseLenientJson(Buffer.from('\ufeff{"id":1}'))).toEqual({ id: 1 });
  });

  it('refuses everything else', () => {
    for (const text of ['', '{', '{"a":1,,}', '[,]', '{,}', "{'a':1}", '{"a":1} x', 'undefined', '{"a":01}', ',', '\u0000']) {
      expect(parseLenientJson(Buffer.from(text)), text).toBeUndefined();
    }
    expect(parseLenientJson(Buffer.from([0xff, 0xfe, 0x00, 0x7b]))).toBeUndefined();
    expect(parseLenientJson(`[${'['.repeat(200_000)}`)).toBeUndefined();
  });

  it('refuses payloads above the size bound', () => {
    const text = JSON.stringify({ pad: 'x'.repeat(100) });
    expect(parseLenientJson(text, text.length)).toEqual({ pad: 'x'.repeat(100) });
    expect(parseLenientJson(text, text.length - 1)).toBeUndefined();
    expect(parseLenientJson(Buffer.alloc(256 * 1024 + 1, 0x20))).toBeUndefined();
  });

  it('agrees with JSON.parse on any valid JSON, and with it after removing added trailing commas', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value);
        expect(parseLenientJson(text)).toEqual(JSON.parse(text));
        const withCommas = text.replace(/([}\]])$/, ',$1');
        if (withCommas !== text && text.length > 2) expect(parseLenientJson(withCommas)).toEqual(JSON.parse(text));
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        parseLenientJson(Buffer.from(bytes));
      }),
      { numRuns: 2000 },
    );
  });
});
