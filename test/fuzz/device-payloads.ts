import fc from 'fast-check';
import { parseLenientJson } from '../../src/device/ota/lenient-json.js';

/**
 * Payloads for the OTA up topics (device-protocol.md §4) that a server must refuse: random bytes, random JSON
 * without an `id` (every OTA message needs one), and valid messages broken in exactly one place. Plus valid
 * messages, which the fuzz test publishes only on topics the device may not use.
 */
export type UpKind = 'inform' | 'progress' | 'firmwareGet' | 'request' | 'fileDownload';
export const UP_KINDS: readonly UpKind[] = ['inform', 'progress', 'firmwareGet', 'request', 'fileDownload'];

type Json = Record<string, unknown>;
const ABSENT = Symbol('absent');

const validId = fc.oneof(fc.integer({ min: 0, max: 4_294_967_295 }), fc.stringMatching(/^[0-9a-f-]{1,40}$/));
const validVersion = fc.stringMatching(/^[A-Za-z0-9._-]{1,64}$/);
const validModule = fc.stringMatching(/^[A-Za-z0-9._-]{1,64}$/);
const validStep = fc.oneof(fc.integer({ min: 1, max: 100 }), fc.integer({ min: -4, max: -1 }), fc.integer({ min: 1, max: 100 }).map(String));

const validMessages: Record<UpKind, fc.Arbitrary<Json>> = {
  inform: fc.record({ id: validId, params: fc.record({ version: validVersion, module: validModule }, { requiredKeys: ['version'] }) }),
  progress: fc.record({ id: validId, params: fc.record({ step: validStep, desc: fc.string({ maxLength: 40 }), module: validModule }, { requiredKeys: ['step'] }) }),
  firmwareGet: fc.record({ id: validId, version: fc.constant('1.0'), params: fc.record({ module: validModule }, { requiredKeys: [] }), method: fc.constant('thing.ota.firmware.get') }),
  request: fc.record({ id: validId, params: fc.record({ version: validVersion }) }),
  fileDownload: fc.record({
    id: validId,
    version: fc.constant('1.0'),
    params: fc.record({
      fileToken: fc.constant('default'),
      fileInfo: fc.record({ streamId: fc.integer({ min: 1, max: 2 ** 31 - 1 }), fileId: fc.constant(1) }),
      fileBlock: fc.record({ size: fc.integer({ min: 256, max: 131_072 }), offset: fc.integer({ min: 0, max: 16_777_216 }) }),
    }),
  }),
};

export function validMessage(kind: UpKind): fc.Arbitrary<Json> {
  return validMessages[kind];
}

const wrongScalar = fc.constantFrom<unknown>(null, true, false, [], {}, [1], { a: 1 }, ABSENT);
const badId = fc.oneof(wrongScalar, fc.constantFrom<unknown>(-1, 4_294_967_296, 1.5, -0.5, 1e300, ''), fc.string({ minLength: 257, maxLength: 300 }));
const badParams = fc.constantFrom<unknown>(null, [], 'params', 5, true, [{ version: '1.0' }]);
const badVersion = fc.oneof(
  fc.constantFrom<unknown>(null, 1, 1.5, true, [], {}, ''),
  fc.string({ minLength: 65, maxLength: 120 }),
  fc.tuple(fc.string({ maxLength: 10 }), fc.integer({ min: 0, max: 31 })).map(([s, c]) => `${s}${String.fromCharCode(c)}`),
);
const badModule = fc.oneof(fc.constantFrom<unknown>(null, 5, true, [], {}, 'a b', 'a/b', '../x', 'ü', 'mod\n'), fc.stringMatching(/^[A-Za-z0-9]{65,80}$/));
const badStep = fc.oneof(
  fc.constantFrom<unknown>(null, true, [], {}, 'abc', '4.5', ' 45', '45 ', '+5', '', 4.5, -0.5, ABSENT),
  fc.integer({ min: 101, max: 10_000_000 }),
  fc.integer({ min: -10_000_000, max: -5 }),
  fc.constantFrom<unknown>(0, '0', '-0', '101', '-5'),
);
const badDesc = fc.constantFrom<unknown>(5, null, true, [], {});

/** Replaces (or, with ABSENT, removes) one field; `path` is 'id' or 'params.x'. */
function withField(message: Json, path: string, value: unknown): Json {
  const copy = structuredClone(message);
  const [head, tail] = path.split('.') as [string, string | undefined];
  const target = tail === undefined ? copy : ((copy[head] ??= {}) as Json);
  const key = tail ?? head;
  if (value === ABSENT) delete target[key];
  else target[key] = value;
  return copy;
}

// The one-place breakages each kind has (a request without version is valid, an inform without one is not); every result is a message the server must refuse.
const breakages: Record<Exclude<UpKind, 'fileDownload'>, [string, fc.Arbitrary<unknown>][]> = {
  inform: [['id', badId], ['params', fc.oneof(badParams, fc.constant(ABSENT))], ['params.version', fc.oneof(badVersion, fc.constant(ABSENT))], ['params.module', badModule]],
  progress: [['id', badId], ['params', fc.oneof(badParams, fc.constant(ABSENT))], ['params.step', badStep], ['params.desc', badDesc], ['params.module', badModule]],
  firmwareGet: [['id', badId], ['params', badParams], ['params.module', badModule]],
  request: [['id', badId], ['params', badParams], ['params.version', badVersion], ['params.module', badModule]],
};

const encoded = (message: unknown) => Buffer.from(JSON.stringify(message));

/** A near-valid message of `kind` broken in one place, as text broken in one way, or padded past 16 KB. */
export function brokenMessage(kind: Exclude<UpKind, 'fileDownload'>): fc.Arbitrary<Buffer> {
  const base = validMessages[kind];
  const fieldBroken = fc.oneof(...breakages[kind].map(([path, bad]) => fc.tuple(base, bad).map(([m, v]) => encoded(withField(m, path, v)))));
  const textBroken = fc.oneof(
    // A strict prefix of an object's text never closes the object, leniently or not.
    fc.tuple(base, fc.nat()).map(([m, n]) => {
      const text = JSON.stringify(m);
      return Buffer.from(text.slice(0, n % text.length));
    }),
    fc.tuple(base, fc.constantFrom('x', ',,', ']', '}', ' 1', '\u0000')).map(([m, junk]) => Buffer.from(JSON.stringify(m) + junk)),
    base.map((m) => Buffer.from(JSON.stringify(m).replace(/,/, ',,'))),
    base.map((m) => encoded([m])),
    base.map((m) => Buffer.from(JSON.stringify(m).replace(/"/g, "'"))),
  );
  const oversized = fc.tuple(base, fc.integer({ min: 16 * 1024, max: 200 * 1024 })).map(([m, n]) => encoded({ ...m, pad: 'x'.repeat(n) }));
  return fc.oneof({ weight: 6, arbitrary: fieldBroken }, { weight: 3, arbitrary: textBroken }, { weight: 1, arbitrary: oversized });
}

// Random JSON is refused when it has no top-level `id`; filtering on that keeps the generator independent of
// the validators under test.
const hasTopLevelId = (bytes: Buffer) => {
  const value = parseLenientJson(bytes);
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'id' in value;
};

/** Random bytes and random JSON, none with a top-level `id`. */
export const garbage: fc.Arbitrary<Buffer> = fc
  .oneof(
    fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(b)),
    fc.jsonValue({ maxDepth: 4 }).map(encoded),
    fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 })).map(encoded),
    fc.string({ unit: 'binary', maxLength: 200 }).map((s) => Buffer.from(s)),
  )
  .filter((b) => !hasTopLevelId(b));
