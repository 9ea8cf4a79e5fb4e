import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate, type SignedRequest } from '../../../src/api/rpc/authenticate.js';
import { GatewayError } from '../../../src/api/rpc/gateway-error.js';
import { decodeFormPairs, mergeParams } from '../../../src/api/rpc/request-params.js';
import { rpcSignature, rpcStringToSign } from '../../../src/api/rpc/signature-rpc.js';
import { parseV3Authorization, sha256Hex, v3CanonicalRequest, v3Signature } from '../../../src/api/rpc/signature-v3.js';
import type { Clock } from '../../../src/domain/clock.js';
import { iot, popClient, sdkClient } from '../../support/clients.js';
import { testDialects } from '../../support/dialects.js';
import { sendRaw } from '../../support/raw-http.js';
import * as sign from '../../support/sign.js';
import { startTestServer, type TestServer } from '../../support/server.js';

// rpc-protocol §8: 18 raw requests recorded from the SDK (V3 and v2) and POP (GET and POST), id testid,
// secret testsecret. Everything below replays them byte for byte.
interface Vector {
  operation: string;
  client: string;
  scheme: 'ACS3-HMAC-SHA256' | 'RPC-HMAC-SHA1';
  request: {
    method: string;
    path: string;
    rawQuery: string;
    query: { key: string; value: string }[];
    headers: Record<string, string>;
    body: string;
  };
  derived: Record<string, string | boolean>;
}
interface VectorFile {
  credentials: { accessKeyId: string; accessKeySecret: string };
  vectors: Vector[];
  sdkResponseHandling: { response: string; status: number; sdk: string; outcome: string }[];
}
const file = JSON.parse(readFileSync('/work/shared/spec/vectors/sdk-requests.json', 'utf8')) as VectorFile;
const { vectors } = file;
const label = (v: Vector, i: number) => `#${i} ${v.operation} ${v.scheme} via ${v.client}`;

/** Every code the authentication steps (rpc-protocol §10 steps 2–7) can answer. */
const AUTH_CODES = [
  'MissingSignature',
  'MissingAccessKeyId',
  'MissingSignatureNonce',
  'MissingTimestamp',
  'MissingSignatureMethod',
  'IncompleteSignature',
  'InvalidSignatureMethod',
  'InvalidTimeStamp.Format',
  'InvalidTimeStamp.Expired',
  'InvalidAccessKeyId.NotFound',
  'InvalidAccessKeyId.Inactive',
  'SignatureDoesNotMatch',
  'SignatureNonceUsed',
];
const REQUEST_ID = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/;

function isForm(v: Vector): boolean {
  return (v.request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
}

/** The request as authenticate() receives it from the plugin (query and form decoded, body wins). */
function decoded(v: Vector): SignedRequest {
  const query = decodeFormPairs(v.request.rawQuery);
  const body = isForm(v) ? decodeFormPairs(v.request.body) : [];
  const headers = v.request.headers;
  return {
    method: v.request.method,
    query,
    params: mergeParams(query, body),
    rawBody: Buffer.from(v.request.body, 'utf8'),
    headerValues: (name) => (headers[name] === undefined ? [] : [headers[name]!]),
    headerNames: Object.keys(headers).map((n) => n.toLowerCase()),
  };
}

function recordedAt(v: Vector): number {
  const stamp = v.request.headers['x-acs-date'] ?? decoded(v).params.get('Timestamp');
  return Date.parse(stamp!);
}

function fixedClock(v: Vector): Clock {
  const at = recordedAt(v);
  return { now: () => at };
}

function inMemoryNonces() {
  const seen = new Set<string>();
  return async (accessKeyId: string, nonce: string) => {
    const key = `${accessKeyId}\n${nonce}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  };
}

/** The vector as it went on the wire (content-length recomputed by the sender). */
function wireRequest(v: Vector): sign.RawRequest {
  const headers = { ...v.request.headers };
  delete headers['content-length'];
  return { method: v.request.method, path: v.request.path, rawQuery: v.request.rawQuery, headers, body: v.request.body };
}

describe('the recorded vectors against the spec algorithm', () => {
  it('holds 18 requests, all recorded at one instant with testid/testsecret', () => {
    expect(vectors).toHaveLength(18);
    expect(file.credentials).toEqual({ accessKeyId: 'testid', accessKeySecret: 'testsecret' });
    expect(new Set(vectors.map(recordedAt)).size).toBe(1);
  });

  vectors.forEach((v, i) => {
    it(`${label(v, i)}: decoding and derived strings match`, () => {
      const req = decoded(v);
      // rpc-protocol §3.2: decode first; the recorder's decoded pairs are the reference.
      expect(req.query.map(([key, value]) => ({ key, value }))).toEqual(v.request.query);
      const secret = file.credentials.accessKeySecret;
      if (v.scheme === 'ACS3-HMAC-SHA256') {
        const auth = parseV3Authorization(v.request.headers.authorization!)!;
        expect(auth.algorithm).toBe('ACS3-HMAC-SHA256');
        expect(auth.credential).toBe(v.derived.credential);
        expect(auth.signedHeaders.join(';')).toBe(v.derived.signedHeaders);
        const payloadHash = sha256Hex(req.rawBody);
        expect(payloadHash).toBe(v.derived.payloadHash);
        expect(payloadHash).toBe(v.request.headers['x-acs-content-sha256']);
        const canonical = v3CanonicalRequest({ method: req.method, query: req.query, signedHeaders: auth.signedHeaders, headerValues: req.headerValues, payloadHash });
        expect(canonical).toBe(v.derived.canonicalRequest);
        expect(`ACS3-HMAC-SHA256\n${sha256Hex(canonical)}`).toBe(v.derived.stringToSign);
        expect(v3Signature(canonical, secret)).toBe(v.derived.expectedSignature);
        expect(auth.signature).toBe(v.derived.expectedSignature);
        expect(v3Signature(canonical, 'wrongsecret')).not.toBe(v.derived.expectedSignature);
        // The test signer (used by the gateway tests) agrees with the vectors too.
        const helperCanonical = sign.v3CanonicalRequest({
          method: req.method,
          query: req.query,
          headers: v.request.headers,
          signed: auth.signedHeaders,
          payloadHash: sign.sha256Hex(v.request.body),
        });
        expect(helperCanonical).toBe(v.derived.canonicalRequest);
        expect(sign.v3StringToSign(helperCanonical)).toBe(v.derived.stringToSign);
        expect(sign.v3Signature(helperCanonical, secret)).toBe(v.derived.expectedSignature);
      } else {
        const stringToSign = rpcStringToSign(req.method, req.params);
        expect(stringToSign).toBe(v.derived.stringToSign);
        expect(decodeURIComponent(stringToSign.split('&')[2]!)).toBe(v.derived.canonicalizedQueryString);
        expect(rpcSignature(stringToSign, secret)).toBe(v.derived.expectedSignature);
        expect(req.params.get('Signature')).toBe(v.derived.expectedSignature);
        expect(rpcSignature(stringToSign, 'wrongsecret')).not.toBe(v.derived.expectedSignature);
        const params = Object.fromEntries(req.params);
        expect(sign.rpcCanonicalizedQuery(params)).toBe(v.derived.canonicalizedQueryString);
        expect(sign.rpcStringToSign(req.method, params)).toBe(v.derived.stringToSign);
        expect(sign.rpcSignature(req.method, params, secret)).toBe(v.derived.expectedSignature);
      }
    });
  });
});

for (const dialect of testDialects()) {
  describe(`replaying the 18 vectors (${dialect})`, () => {
    const at = recordedAt(vectors[0]!);
    const clock: Clock = { now: () => at };
    let right: TestServer;
    let wrong: TestServer;
    beforeAll(async () => {
      right = await startTestServer(dialect, { clock, env: { FLOTILLA_ACCESS_KEY_ID: 'testid', FLOTILLA_ACCESS_KEY_SECRET: 'testsecret' } });
      wrong = await startTestServer(dialect, { clock, env: { FLOTILLA_ACCESS_KEY_ID: 'testid', FLOTILLA_ACCESS_KEY_SECRET: 'not-testsecret' } });
    });
    afterAll(async () => {
      await right?.stop();
      await wrong?.stop();
    });

    vectors.forEach((v, i) => {
      it(`${label(v, i)}: authenticate() accepts it, once, and only with the right secret`, async () => {
        const deps = { clock: fixedClock(v), timestampWindowMs: 15 * 60_000, recordNonce: inMemoryNonces() };
        const caller = await authenticate(decoded(v), { ...deps, accounts: right.service.services.accounts });
        expect(caller.accessKeyId).toBe('testid');
        await expect(authenticate(decoded(v), { ...deps, accounts: right.service.services.accounts })).rejects.toMatchObject({
          code: 'SignatureNonceUsed',
        });
        const err = await authenticate(decoded(v), { ...deps, recordNonce: inMemoryNonces(), accounts: wrong.service.services.accounts }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(GatewayError);
        expect(err).toMatchObject({ code: 'SignatureDoesNotMatch', status: 400 });
        // 16 minutes later the same request is stale (rpc-protocol §4.3).
        const late = { now: () => recordedAt(v) + 16 * 60_000 };
        await expect(
          authenticate(decoded(v), { ...deps, clock: late, recordNonce: inMemoryNonces(), accounts: right.service.services.accounts }),
        ).rejects.toMatchObject({ code: 'InvalidTimeStamp.Expired' });
      });

      it(`${label(v, i)}: passes authentication over HTTP, then its nonce is spent`, async () => {
        const first = await sendRaw(right.url, wireRequest(v));
        // Every recorded client asks for JSON (Accept or Format=json/JSON), so every answer is JSON.
        expect(first.contentType).toBe('application/json;charset=utf-8');
        expect(first.json?.RequestId).toMatch(REQUEST_ID);
        expect(AUTH_CODES).not.toContain(first.json?.Code);
        if (first.status !== 200) expect(first.json).toMatchObject({ Code: 'InvalidApi.NotFound' });

        // The nonce is recorded only after the signature verified (rpc-protocol §4.3), so this proves it did.
        const again = await sendRaw(right.url, wireRequest(v));
        expect(again.status).toBe(400);
        expect(again.json).toMatchObject({ Code: 'SignatureNonceUsed' });
      });

      it(`${label(v, i)}: fails with a wrong secret over HTTP`, async () => {
        const res = await sendRaw(wrong.url, wireRequest(v));
        expect(res.status).toBe(400);
        expect(res.json).toMatchObject({ Code: 'SignatureDoesNotMatch', Message: 'Specified signature is not matched with our calculation.' });
      });
    });
  });

  describe(`envelope shapes the recorded clients rely on (${dialect})`, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer(dialect);
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('answers a business failure with HTTP 200 and Success false, which the SDK resolves and POP throws', async () => {
      // sdkResponseHandling: "business failure, HTTP 200, Success=false" → SDK resolved, POP threw err.code.
      expect(file.sdkResponseHandling.filter((r) => r.response.startsWith('business failure')).map((r) => r.outcome)).toEqual([
        'resolved',
        'resolved',
        'threw',
      ]);
      const raw = await sendRaw(server.url, sign.signRpc({ key: server.key, action: 'QueryProduct', params: { ProductKey: 'a1NoSuchOne' } }));
      expect(raw.status).toBe(200);
      expect(Object.keys(raw.json!).sort()).toEqual(['Code', 'ErrorMessage', 'RequestId', 'Success']);
      expect(raw.json).toMatchObject({ Success: false, Code: 'iot.prod.NotExistedProduct' });
      expect(raw.json!.RequestId).toMatch(REQUEST_ID);

      for (const mode of ['v3', 'v2'] as const) {
        const res = await sdkClient(server.endpoint, server.key, mode).queryProduct(new iot.QueryProductRequest({ productKey: 'a1NoSuchOne' }));
        expect(res.statusCode).toBe(200);
        expect(res.body.success).toBe(false);
        expect(res.body.code).toBe('iot.prod.NotExistedProduct');
        expect(res.body.errorMessage).toBeTruthy();
        expect(res.body.requestId).toMatch(REQUEST_ID);
      }
      const err = await popClient(server.url, server.key)
        .request('QueryProduct', { ProductKey: 'a1NoSuchOne' })
        .catch((e: unknown) => e as { code: string; data: Record<string, unknown> });
      expect(err).toMatchObject({ code: 'iot.prod.NotExistedProduct', data: { Success: false, Code: 'iot.prod.NotExistedProduct' } });
    });

    it('answers a gateway failure with HTTP 400 JSON in PascalCase, which every client throws with its code', async () => {
      const bad = { accessKeyId: server.key.accessKeyId, accessKeySecret: 'wrong-secret' };
      for (const mode of ['v3', 'v2'] as const) {
        const err = (await sdkClient(server.endpoint, bad, mode)
          .queryProduct(new iot.QueryProductRequest({ productKey: 'a1NoSuchOne' }))
          .catch((e: unknown) => e)) as { code: string; statusCode: number; message: string; data: Record<string, unknown> };
        expect(err).toMatchObject({ code: 'SignatureDoesNotMatch', statusCode: 400 });
        expect(Object.keys(err.data)).toEqual(expect.arrayContaining(['RequestId', 'HostId', 'Code', 'Message', 'Recommend']));
        expect(err.data.HostId).toBe(server.endpoint);
        expect(err.message).toContain(`request id: ${String(err.data.RequestId)}`);
      }
      await expect(popClient(server.url, bad).request('QueryProduct', { ProductKey: 'a1NoSuchOne' })).rejects.toMatchObject({
        code: 'SignatureDoesNotMatch',
      });
      // POP ignores the status and throws only because the JSON carries Code (sdkResponseHandling, 404 row).
      await expect(popClient(server.url, server.key).request('NoSuchAction', {})).rejects.toMatchObject({ code: 'InvalidApi.NotFound' });
    });

    it('sends XML errors only with exactly text/xml;charset=utf-8 and root Error, and never plain text', async () => {
      // sdkResponseHandling: the SDK parses an XML error only with that exact content type and root.
      const req = sign.signRpc({ key: { ...server.key, accessKeySecret: 'wrong' }, action: 'QueryProduct', params: { ProductKey: 'x' }, common: { Format: 'XML' } });
      const res = await sendRaw(server.url, req);
      expect(res.status).toBe(400);
      expect(res.contentType).toBe('text/xml;charset=utf-8');
      expect(res.text).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?><Error><RequestId>[0-9A-F-]{36}<\/RequestId>/);
      expect(res.text).toContain('<Code>SignatureDoesNotMatch</Code>');
    });

    it('answers official clients in JSON, never an XML success they cannot parse', async () => {
      // sdkResponseHandling: an XML success body makes every client throw SyntaxError.
      const v3 = await sendRaw(server.url, sign.signV3({ key: server.key, host: server.endpoint, action: 'QueryProductList', query: { CurrentPage: '1', PageSize: '10' } }));
      expect(v3.status).toBe(200);
      expect(v3.contentType).toBe('application/json;charset=utf-8');
      const v2 = await sendRaw(
        server.url,
        sign.signRpc({ key: server.key, action: 'QueryProductList', params: { CurrentPage: '1', PageSize: '10' }, common: { Format: 'json' } }),
      );
      expect(v2.status).toBe(200);
      expect(v2.contentType).toBe('application/json;charset=utf-8');
    });

    it('wraps a one-element and an empty list as arrays (sdkModelCasting)', async () => {
      const other = await server.service.services.accounts.createAccount('casting');
      const key = { accessKeyId: other.accessKeyId, accessKeySecret: other.accessKeySecret };
      const empty = await sendRaw(server.url, sign.signRpc({ key, action: 'QueryProductList', params: { CurrentPage: '1', PageSize: '10' } }));
      expect(empty.json).toMatchObject({ Success: true, Data: { List: { ProductInfo: [] } } });

      const client = sdkClient(server.endpoint, key, 'v3');
      await client.createProduct(new iot.CreateProductRequest({ productName: 'only_one', nodeType: 0 }));
      const one = await sendRaw(server.url, sign.signRpc({ key, action: 'QueryProductList', params: { CurrentPage: '1', PageSize: '10' } }));
      const list = (one.json!.Data as { List: { ProductInfo: unknown } }).List.ProductInfo;
      expect(Array.isArray(list)).toBe(true);
      expect(list).toHaveLength(1);
      // The SDK would throw "expect array, but object" on a bare object; it resolves.
      const res = await client.queryProductList(new iot.QueryProductListRequest({ currentPage: 1, pageSize: 10 }));
      expect(res.body.data?.list?.productInfo?.map((p) => p.productName)).toEqual(['only_one']);
    });
  });
}
