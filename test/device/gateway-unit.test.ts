import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ConnectCredentials, parseConnectCredentials } from '../../src/device/gateway/connect-credentials.js';
import { expectedPassword, passwordMatches } from '../../src/device/gateway/sign-in-password.js';
import { authorizeFilter, classifyPublish, type DeviceIdentity } from '../../src/device/gateway/topic-permissions.js';

// device-protocol.md §2.2 test vectors: pk a1pk, dn dev1, DeviceSecret s3cr3t.
const SECRET = 's3cr3t';
const NODE_CLIENT_ID = 'a1pk&dev1|securemode=3,signmethod=hmacsha1,timestamp=1700000000000,lan=NodeJS,_v=1.2.8|';
const NODE_PASSWORD = 'c02c7d0f6b8ce58fc15a953f18d2508cef7166a7';
const C4_CLIENT_ID = 'a1pk.dev1|timestamp=2524608000000,_ss=1,_v=sdk-c-4.0.0,securemode=2,signmethod=hmacsha256,ext=3|';
const C4_PASSWORD = '5DFC93664F4E8F043A91927CEB8E322BF164B168FB31FDB5EB6C2C37F6D2B0BF';

function parsed(clientId: string, username: string | undefined, password: string | undefined): ConnectCredentials {
  const result = parseConnectCredentials(clientId, username, password === undefined ? undefined : Buffer.from(password));
  if (!result.ok) throw new Error(`refused: ${result.reason}`);
  return result.credentials;
}

function refusal(clientId: string, username: string | undefined, password: string | undefined): number | undefined {
  const result = parseConnectCredentials(clientId, username, password === undefined ? undefined : Buffer.from(password));
  return result.ok ? undefined : result.returnCode;
}

describe('parseConnectCredentials (§2.1, §2.4)', () => {
  it('reads the Node SDK ClientId', () => {
    expect(parsed(NODE_CLIENT_ID, 'dev1&a1pk', NODE_PASSWORD)).toEqual({
      signedClientId: 'a1pk&dev1',
      productKey: 'a1pk',
      deviceName: 'dev1',
      signMethod: 'hmacsha1',
      timestamp: '1700000000000',
      secureMode: '3',
      password: NODE_PASSWORD,
    });
  });

  it('reads the C SDK 4.x ClientId (keys in another order, informational keys ignored)', () => {
    expect(parsed(C4_CLIENT_ID, 'dev1&a1pk', C4_PASSWORD)).toMatchObject({
      signedClientId: 'a1pk.dev1',
      signMethod: 'hmacsha256',
      timestamp: '2524608000000',
      secureMode: '2',
    });
  });

  it('defaults to hmacmd5 and no timestamp; takes any id before the first bar', () => {
    expect(parsed('00:11:22:33:44:55||', 'dev1&a1pk', 'x')).toMatchObject({ signedClientId: '00:11:22:33:44:55', signMethod: 'hmacmd5', timestamp: undefined });
    expect(parsed('id|signmethod=HMACSHA1,foo,=bar|', 'dev1&a1pk', 'x').signMethod).toBe('hmacsha1');
  });

  it('refuses a ClientId without |…| or with an over-long id part with 2', () => {
    expect(refusal('a1pk&dev1', 'dev1&a1pk', 'x')).toBe(2);
    expect(refusal('a1pk&dev1|securemode=3', 'dev1&a1pk', 'x')).toBe(2);
    expect(refusal(`${'i'.repeat(65)}|securemode=3|`, 'dev1&a1pk', 'x')).toBe(2);
    expect(refusal(`${'i'.repeat(64)}|securemode=3|`, 'dev1&a1pk', 'x')).toBeUndefined();
  });

  it('refuses a malformed username, an unknown signmethod and a missing password with 4', () => {
    for (const username of [undefined, 'dev1a1pk', '&a1pk', 'dev1&', 'dev1&a1&pk', `${'d'.repeat(65)}&a1pk`]) {
      expect(refusal(NODE_CLIENT_ID, username, 'x'), String(username)).toBe(4);
    }
    expect(refusal(NODE_CLIENT_ID.replace('hmacsha1', 'hmacsha512'), 'dev1&a1pk', 'x')).toBe(4);
    expect(refusal(NODE_CLIENT_ID, 'dev1&a1pk', undefined)).toBe(4);
    expect(refusal(NODE_CLIENT_ID, 'dev1&a1pk', '')).toBe(4);
    expect(refusal(NODE_CLIENT_ID, 'dev1&a1pk', 'f'.repeat(129))).toBe(4);
  });
});

describe('sign-in password (§2.2 vectors)', () => {
  it('computes the Node SDK 1.2.8 vector (HMAC-SHA1, lower-case hex)', () => {
    const credentials = parsed(NODE_CLIENT_ID, 'dev1&a1pk', NODE_PASSWORD);
    expect(expectedPassword(credentials, SECRET)).toBe(NODE_PASSWORD);
    expect(passwordMatches(credentials, SECRET)).toBe(true);
    expect(passwordMatches(credentials, 'other')).toBe(false);
  });

  it('computes the C SDK 4.x vector (HMAC-SHA256) and compares case-insensitively', () => {
    const credentials = parsed(C4_CLIENT_ID, 'dev1&a1pk', C4_PASSWORD);
    expect(expectedPassword(credentials, SECRET)).toBe(C4_PASSWORD.toLowerCase());
    expect(passwordMatches(credentials, SECRET)).toBe(true);
    expect(passwordMatches({ ...credentials, password: C4_PASSWORD.toLowerCase() }, SECRET)).toBe(true);
    expect(passwordMatches({ ...credentials, password: C4_PASSWORD.slice(0, -1) }, SECRET)).toBe(false);
  });

  it('refuses the Node SDK bug: an SHA-1 digest under a declared hmacsha256 (§2.3)', () => {
    const credentials = parsed(NODE_CLIENT_ID.replace('hmacsha1', 'hmacsha256'), 'dev1&a1pk', NODE_PASSWORD);
    expect(credentials.signMethod).toBe('hmacsha256');
    expect(passwordMatches(credentials, SECRET)).toBe(false);
  });

  it('signs the timestamp only when the ClientId carries one', () => {
    const withTs = parsed(NODE_CLIENT_ID, 'dev1&a1pk', 'x');
    const without = parsed('a1pk&dev1|securemode=3,signmethod=hmacsha1|', 'dev1&a1pk', 'x');
    expect(expectedPassword(without, SECRET)).not.toBe(expectedPassword(withTs, SECRET));
    expect(expectedPassword({ ...without, signMethod: 'hmacmd5' }, SECRET)).toMatch(/^[0-9a-f]{32}$/);
  });
});

const A: DeviceIdentity = { productKey: 'a1AAA', deviceName: 'devA' };
const B: DeviceIdentity = { productKey: 'a1BBB', deviceName: 'devB' };
const sameProduct: DeviceIdentity = { productKey: 'a1AAA', deviceName: 'devZ' };

describe('classifyPublish (§3: own up topics only)', () => {
  it.each([
    ['/ota/device/inform/a1AAA/devA', 'inform'],
    ['/ota/device/progress/a1AAA/devA', 'progress'],
    ['/ota/device/request/a1AAA/devA', 'request'],
    ['/sys/a1AAA/devA/thing/ota/firmware/get', 'firmwareGet'],
    ['/sys/a1AAA/devA/thing/file/download', 'fileDownload'],
    ['/sys/a1AAA/devA/thing/event/property/post', 'other'],
    ['/ext/ntp/a1AAA/devA/request', 'other'],
    ['/shadow/update/a1AAA/devA', 'other'],
    ['/a1AAA/devA/user/update', 'other'],
  ])('%s is %s', (topic, kind) => {
    expect(classifyPublish(topic, A)).toBe(kind);
  });

  it.each([
    // down topics
    '/ota/device/upgrade/a1AAA/devA',
    '/sys/a1AAA/devA/thing/ota/firmware/get_reply',
    '/sys/a1AAA/devA/thing/file/download_reply',
    // another device's, in another product and in the same product
    '/ota/device/inform/a1BBB/devB',
    '/ota/device/inform/a1AAA/devZ',
    '/sys/a1AAA/devZ/thing/event/property/post',
    '/ext/ntp/a1BBB/devB/request',
    '/shadow/update/a1AAA/devZ',
    '/a1BBB/devB/user/update',
    '/a1AAA/devZ/user/update',
    // broadcast, malformed, $SYS and outside any class
    '/broadcast/a1AAA/all',
    '$SYS/broker/clients',
    'ota/device/inform/a1AAA/devA',
    '/ota/device/inform/a1AAA/devA/extra',
    '/ota/device/unknown/a1AAA/devA',
    '/ext/ntp/a1AAA/devA',
    '/shadow/delete/a1AAA/devA',
    '/sys/a1AAA',
    '/a1AAA/devA',
    '/',
  ])('%s is refused', (topic) => {
    expect(classifyPublish(topic, A)).toBeUndefined();
  });
});

describe('authorizeFilter (§3: own down topics, + narrowed)', () => {
  it.each([
    ['/ota/device/upgrade/+/+', '/ota/device/upgrade/a1AAA/devA'],
    ['/ota/device/upgrade/a1AAA/+', '/ota/device/upgrade/a1AAA/devA'],
    ['/ota/device/upgrade/a1AAA/devA', '/ota/device/upgrade/a1AAA/devA'],
    ['/ota/device/request/+/+', '/ota/device/request/a1AAA/devA'],
    ['/sys/+/+/thing/ota/firmware/get_reply', '/sys/a1AAA/devA/thing/ota/firmware/get_reply'],
    ['/sys/+/+/thing/config/push', '/sys/a1AAA/devA/thing/config/push'],
    ['/sys/+/+/thing/config/get_reply', '/sys/a1AAA/devA/thing/config/get_reply'],
    ['/sys/a1AAA/devA/thing/file/download_reply', '/sys/a1AAA/devA/thing/file/download_reply'],
    ['/sys/a1AAA/devA/thing/event/+/post_reply', '/sys/a1AAA/devA/thing/event/+/post_reply'],
    ['/sys/a1AAA/devA/rrpc/request/+', '/sys/a1AAA/devA/rrpc/request/+'],
    ['/sys/a1AAA/devA/thing/config/#', '/sys/a1AAA/devA/thing/config/#'],
    ['/ext/session/+/+/combine/login_reply', '/ext/session/a1AAA/devA/combine/login_reply'],
    ['/shadow/get/+/+', '/shadow/get/a1AAA/devA'],
    ['/broadcast/+/#', '/broadcast/a1AAA/#'],
    ['/+/+/user/get', '/a1AAA/devA/user/get'],
    ['/a1AAA/devA/#', '/a1AAA/devA/#'],
  ])('%s is granted as %s', (filter, granted) => {
    expect(authorizeFilter(filter, A)).toBe(granted);
  });

  it.each([
    // everything, or a wildcard before the identity levels
    '#',
    '/#',
    '+/#',
    '/+/#',
    '/ota/#',
    '/ota/device/#',
    '/ota/device/+/a1AAA/devA',
    '/ota/device/upgrade/#',
    '/ota/device/upgrade/a1AAA/#',
    '/sys/#',
    '/sys/+/#',
    '/sys/a1AAA/#',
    '/ext/+/a1AAA/devA/x',
    '/ext/#',
    '/shadow/+/a1AAA/devA',
    '/shadow/#',
    '$SYS/#',
    '$SYS/+/new/clients',
    // another device's topics
    '/ota/device/upgrade/a1BBB/devB',
    '/ota/device/upgrade/a1AAA/devZ',
    '/ota/device/upgrade/+/devZ',
    '/sys/a1BBB/+/thing/ota/firmware/get_reply',
    '/sys/+/devZ/thing/config/push',
    '/ext/session/a1BBB/devB/combine/login_reply',
    '/shadow/get/a1AAA/devZ',
    '/broadcast/a1BBB/#',
    '/a1BBB/devB/user/get',
    '/a1AAA/+x/user/get',
    // own up topics
    '/ota/device/inform/+/+',
    '/ota/device/progress/a1AAA/devA',
    '/sys/+/+/thing/ota/firmware/get',
    '/sys/a1AAA/devA/thing/file/download',
    // malformed
    'ota/device/upgrade/a1AAA/devA',
    '/ota/device/upgrade/a1AAA/devA/x',
    '/sys/a1AAA',
    '/a1AAA/devA',
  ])('%s is refused', (filter) => {
    expect(authorizeFilter(filter, A)).toBeUndefined();
  });

  it('refuses a same-product device its neighbour’s topics', () => {
    expect(authorizeFilter('/ota/device/upgrade/a1AAA/devA', sameProduct)).toBeUndefined();
    expect(authorizeFilter('/ota/device/upgrade/+/+', sameProduct)).toBe('/ota/device/upgrade/a1AAA/devZ');
  });
});

// ---- property: a granted filter matches only the device's own topics ----

/** Who a concrete topic belongs to, by Alibaba's topic classes (independent of the code under test). */
function ownerOf(topic: string): { productKey: string; deviceName?: string } | undefined {
  const l = topic.split('/');
  if (l[0] !== '') return undefined;
  if (l[1] === 'ota') return l.length === 6 && l[2] === 'device' ? { productKey: l[4]!, deviceName: l[5]! } : undefined;
  if (l[1] === 'sys') return l.length >= 4 ? { productKey: l[2]!, deviceName: l[3]! } : undefined;
  if (l[1] === 'ext') return l.length >= 5 ? { productKey: l[3]!, deviceName: l[4]! } : undefined;
  if (l[1] === 'shadow') return l.length === 5 ? { productKey: l[3]!, deviceName: l[4]! } : undefined;
  if (l[1] === 'broadcast') return l.length >= 3 ? { productKey: l[2]! } : undefined;
  return l.length >= 3 ? { productKey: l[1]!, deviceName: l[2]! } : undefined;
}

function belongsTo(topic: string, device: DeviceIdentity): boolean {
  const owner = ownerOf(topic);
  return owner !== undefined && owner.productKey === device.productKey && (owner.deviceName === undefined || owner.deviceName === device.deviceName);
}

const identity = fc.record({
  productKey: fc.constantFrom('a1AAA', 'a1BBB', 'a1CCC'),
  deviceName: fc.constantFrom('devA', 'devB', 'dev_c', 'x.y'),
});
// Levels the generator mixes: topic-class words, both devices' identities, wildcards and oddities.
const levelWords = ['', 'ota', 'device', 'upgrade', 'inform', 'request', 'sys', 'thing', 'ota', 'firmware', 'get_reply', 'config', 'push',
  'ext', 'ntp', 'shadow', 'get', 'broadcast', 'user', '$SYS', 'a1AAA', 'a1BBB', 'a1CCC', 'devA', 'devB', 'dev_c', 'x.y', '+', '#'];
const level = fc.constantFrom(...levelWords);
const idLevel = fc.constantFrom('a1AAA', 'a1BBB', 'a1CCC', 'devA', 'devB', 'dev_c', 'x.y', '+', '#');
const tail = fc.array(level, { maxLength: 4 });
/** Filters shaped like Alibaba's topic classes (so identity levels are hit often), plus free-form ones. */
const filter = fc
  .oneof(
    fc.array(level, { minLength: 1, maxLength: 8 }),
    fc.tuple(fc.constantFrom('upgrade', 'request', 'inform', '+', '#'), idLevel, idLevel).map(([k, p, d]) => ['', 'ota', 'device', k, p, d]),
    fc.tuple(idLevel, idLevel, tail).map(([p, d, t]) => ['', 'sys', p, d, ...t]),
    fc.tuple(fc.constantFrom('ntp', 'session', '+'), idLevel, idLevel, tail).map(([f, p, d, t]) => ['', 'ext', f, p, d, ...t]),
    fc.tuple(fc.constantFrom('get', 'update', '+'), idLevel, idLevel).map(([k, p, d]) => ['', 'shadow', k, p, d]),
    fc.tuple(idLevel, tail).map(([p, t]) => ['', 'broadcast', p, ...t]),
    fc.tuple(idLevel, idLevel, tail).map(([p, d, t]) => ['', p, d, ...t]),
  )
  .map((levels) => levels.join('/'));
/** Concrete values a `+` or `#` may stand for when instantiating a granted filter. */
const fill = fc.array(fc.constantFrom(...levelWords.filter((w) => w !== '+' && w !== '#')), { minLength: 0, maxLength: 3 });

/** A concrete topic the filter matches: each `+` replaced by one level, a trailing `#` by zero or more. */
function instantiate(granted: string, fills: string[][]): string {
  const out: string[] = [];
  granted.split('/').forEach((l, i) => {
    const f = fills[i % fills.length] ?? [];
    if (l === '+') out.push(f[0] ?? 'x');
    else if (l === '#') out.push(...f);
    else out.push(l);
  });
  return out.join('/');
}

describe('authorizeFilter property', () => {
  it('never grants a filter that matches a topic of another device', () => {
    fc.assert(
      fc.property(identity, filter, fc.array(fill, { minLength: 1, maxLength: 4 }), (device, f, fills) => {
        // Aedes refuses an invalid filter (`#` not last) before asking authorizeSubscribe.
        fc.pre(!f.split('/').slice(0, -1).includes('#'));
        const granted = authorizeFilter(f, device);
        if (granted === undefined) return;
        const topic = instantiate(granted, fills);
        expect(belongsTo(topic, device), `${f} → ${granted} matches ${topic}`).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it('grants the C SDK 4.x wildcard subscriptions to every device, narrowed to it', () => {
    fc.assert(
      fc.property(identity, (device) => {
        const granted = authorizeFilter('/ota/device/upgrade/+/+', device);
        expect(granted).toBe(`/ota/device/upgrade/${device.productKey}/${device.deviceName}`);
      }),
    );
  });
});
