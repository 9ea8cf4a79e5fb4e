import { readFileSync } from 'node:fs';
import Fastify, { type FastifyInstance } from 'fastify';
import { XMLParser } from 'fast-xml-parser';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineOperation, repeatList, repeatObjects, text } from '../../../src/api/rpc/operation.js';
import { rpcPlugin } from '../../../src/api/rpc/rpc-plugin.js';
import { loadConfig } from '../../../src/config/config.js';
import { systemClock } from '../../../src/domain/clock.js';
import { startService } from '../../../src/main.js';
import { idFormats } from '../../../src/security/random-ids.js';
import { createNonceRecorder } from '../../../src/api/rpc/nonce-recorder.js';
import { testDialects } from '../../support/dialects.js';
import { type RawResponse, sendRaw } from '../../support/raw-http.js';
import * as sign from '../../support/sign.js';
import { startTestServer, type TestServer } from '../../support/server.js';

const REQUEST_ID = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/;
const MINUTE = 60_000;

/** errors.md §2, read from the spec itself: code → [HTTP status, message]. */
const gatewayTable = new Map<string, { status: number; message: string }>();
for (const line of readFileSync('/work/shared/spec/errors.md', 'utf8').split('## 2.')[1]!.split('## 3.')[0]!.split('\n')) {
  const cells = line.split('|').map((c) => c.trim());
  const code = /^`([A-Za-z.{}]+)`/.exec(cells[1] ?? '')?.[1];
  const status = /^(\d{3})/.exec(cells[2] ?? '')?.[1];
  if (code && status) gatewayTable.set(code, { status: Number(status), message: cells[3]!.replace(/ \(\*\*unconfirmed.*$/, '') });
}

/** A gateway failure (rpc-protocol §9.3): status, code and message as errors.md §2 lists them, JSON, RequestId, HostId. */
function expectGateway(res: RawResponse, code: string, host: string, options: { anyMessage?: boolean } = {}): void {
  const row = code.startsWith('Missing') ? gatewayTable.get('Missing{Name}') : gatewayTable.get(code);
  expect(row, `errors.md §2 lists ${code}`).toBeDefined();
  expect({ status: res.status, code: res.json?.Code }).toEqual({ status: row!.status, code });
  expect(res.contentType).toBe('application/json;charset=utf-8');
  expect(res.json!.RequestId).toMatch(REQUEST_ID);
  expect(res.json!.HostId).toBe(host);
  const message = String(res.json!.Message);
  if (code.startsWith('Missing')) expect(message).toBe(`${code.slice('Missing'.length)} is mandatory for this action.`);
  else if (code === 'InvalidParameter' && !options.anyMessage) expect(message).toMatch(/^Specified parameter \w+ is not valid\.$/);
  else if (!options.anyMessage) expect(message).toBe(row!.message);
}

function expectOk(res: RawResponse): Record<string, unknown> {
  expect({ status: res.status, success: res.json?.Success, code: res.json?.Code }).toEqual({ status: 200, success: true, code: undefined });
  expect(res.json!.RequestId).toMatch(REQUEST_ID);
  return res.json!;
}

function expectBusiness(res: RawResponse, code: string): void {
  expect({ status: res.status, success: res.json?.Success, code: res.json?.Code }).toEqual({ status: 200, success: false, code });
  expect(res.json!.RequestId).toMatch(REQUEST_ID);
}

const xml = new XMLParser({ parseTagValue: false });

/** Helpers bound to one running server and key. */
function client(server: () => { url: string; endpoint: string }, key: () => sign.SigningKey) {
  return {
    rpc: (o: Omit<sign.RpcSignOptions, 'key'> & { key?: sign.SigningKey }) => sign.signRpc({ key: key(), ...o }),
    v3: (o: Omit<sign.V3SignOptions, 'key' | 'host'> & { key?: sign.SigningKey }) => sign.signV3({ key: key(), host: server().endpoint, ...o }),
    send: (req: sign.RawRequest) => sendRaw(server().url, req),
  };
}

const LIST = { CurrentPage: '1', PageSize: '10' };

for (const dialect of testDialects()) {
  describe(`gateway checks over HTTP (${dialect})`, () => {
    let server: TestServer;
    let productKey: string;
    const { rpc, v3, send } = client(() => server, () => server.key);
    const gateway = (res: RawResponse, code: string, o?: { anyMessage?: boolean }) => expectGateway(res, code, server.endpoint, o);
    beforeAll(async () => {
      server = await startTestServer(dialect);
      const created = expectOk(await send(rpc({ action: 'CreateProduct', method: 'POST', params: { ProductName: 'gw_pump', NodeType: '0' } })));
      productKey = created.ProductKey as string;
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('accepts requests signed by the spec in every placement the clients use', async () => {
      expectOk(await send(rpc({ action: 'QueryProduct', params: { ProductKey: productKey } })));
      expectOk(await send(rpc({ action: 'QueryProduct', method: 'POST', params: { ProductKey: productKey } })));
      expectOk(await send(rpc({ action: 'QueryProduct', method: 'POST', placement: 'query', params: { ProductKey: productKey } })));
      expectOk(await send(v3({ action: 'QueryProduct', query: { ProductKey: productKey } })));
      expectOk(await send(v3({ action: 'QueryProduct', method: 'GET', query: { ProductKey: productKey } })));
      expectOk(await send(v3({ action: 'QueryProduct', form: { ProductKey: productKey } })));
      // rpc-protocol §7 step 2: any body is hashed as received, not only form bodies.
      const json = { 'content-type': 'application/json' };
      expectOk(await send(v3({ action: 'QueryProductList', query: LIST, rawBody: '{"a":1}', headers: json })));
      const tampered = v3({ action: 'QueryProductList', query: LIST, rawBody: '{"a":1}', headers: json });
      gateway(await send({ ...tampered, body: '{"a":2}' }), 'SignatureDoesNotMatch');
    });

    it('rejects a wrong secret, an unknown key and a disabled key', async () => {
      const wrong = { ...server.key, accessKeySecret: 'not-the-secret' };
      gateway(await send(rpc({ key: wrong, action: 'QueryProductList', params: LIST })), 'SignatureDoesNotMatch');
      gateway(await send(v3({ key: wrong, action: 'QueryProductList', query: LIST })), 'SignatureDoesNotMatch');
      const unknown = { accessKeyId: 'LTAInobodyHasThisKey0000', accessKeySecret: server.key.accessKeySecret };
      gateway(await send(rpc({ key: unknown, action: 'QueryProductList', params: LIST })), 'InvalidAccessKeyId.NotFound');
      gateway(await send(v3({ key: unknown, action: 'QueryProductList', query: LIST })), 'InvalidAccessKeyId.NotFound');

      const accounts = server.service.services.accounts;
      const other = await accounts.createAccount('disabled_later');
      const key = { accessKeyId: other.accessKeyId, accessKeySecret: other.accessKeySecret };
      expectOk(await send(rpc({ key, action: 'QueryProductList', params: LIST })));
      await accounts.setKeyActive(key.accessKeyId, false);
      gateway(await send(rpc({ key, action: 'QueryProductList', params: LIST })), 'InvalidAccessKeyId.Inactive');
      gateway(await send(v3({ key, action: 'QueryProductList', query: LIST })), 'InvalidAccessKeyId.Inactive');
      await accounts.setKeyActive(key.accessKeyId, true);
      expectOk(await send(v3({ key, action: 'QueryProductList', query: LIST })));
    });

    it('rejects a replayed nonce in both schemes, per key, and only once the signature verified', async () => {
      const once = rpc({ action: 'QueryProductList', params: LIST });
      expectOk(await send(once));
      gateway(await send(once), 'SignatureNonceUsed');
      const onceV3 = v3({ action: 'QueryProductList', query: LIST });
      expectOk(await send(onceV3));
      gateway(await send(onceV3), 'SignatureNonceUsed');
      // Re-signed with a fresh timestamp but the same nonce: still used.
      const nonce = sign.newNonce();
      expectOk(await send(v3({ action: 'QueryProductList', query: LIST, headers: { 'x-acs-signature-nonce': nonce } })));
      gateway(await send(rpc({ action: 'QueryProductList', params: LIST, common: { SignatureNonce: nonce } })), 'SignatureNonceUsed');
      // Another key may use the same nonce (nonces are remembered per AccessKeyId, rpc-protocol §4.3).
      const other = await server.service.services.accounts.createAccount('same_nonce');
      const otherKey = { accessKeyId: other.accessKeyId, accessKeySecret: other.accessKeySecret };
      expectOk(await send(rpc({ key: otherKey, action: 'QueryProductList', params: LIST, common: { SignatureNonce: nonce } })));
      // A request failing its signature does not burn its nonce.
      const fresh = sign.newNonce();
      const bad = { ...server.key, accessKeySecret: 'wrong' };
      gateway(await send(rpc({ key: bad, action: 'QueryProductList', params: LIST, common: { SignatureNonce: fresh } })), 'SignatureDoesNotMatch');
      expectOk(await send(rpc({ action: 'QueryProductList', params: LIST, common: { SignatureNonce: fresh } })));
    });

    it('accepts timestamps within 15 minutes either way and rejects older or newer ones', async () => {
      for (const skew of [-14 * MINUTE, 14 * MINUTE]) {
        expectOk(await send(rpc({ action: 'QueryProductList', params: LIST, now: Date.now() + skew })));
        expectOk(await send(v3({ action: 'QueryProductList', query: LIST, now: Date.now() + skew })));
      }
      for (const skew of [-16 * MINUTE, 16 * MINUTE, -24 * 60 * MINUTE]) {
        gateway(await send(rpc({ action: 'QueryProductList', params: LIST, now: Date.now() + skew })), 'InvalidTimeStamp.Expired');
        gateway(await send(v3({ action: 'QueryProductList', query: LIST, now: Date.now() + skew })), 'InvalidTimeStamp.Expired');
      }
    });

    it('rejects malformed timestamps, even for the current instant (rpc-protocol §4.3, unconfirmed)', async () => {
      const now = Date.now();
      const malformed = [
        sign.timestampOf(now).replace('Z', '.000Z'),
        sign.timestampOf(now + 8 * 60 * MINUTE).replace('Z', '+08:00'),
        sign.timestampOf(now).replace('Z', ''),
        sign.timestampOf(now).replace('T', ' '),
        sign.timestampOf(now).replace(/^(\d{4})-\d\d-\d\d/, '$1-02-30'),
        sign.timestampOf(now).replace(/T\d\d/, 'T24'),
        String(Math.floor(now / 1000)),
      ];
      for (const stamp of malformed) {
        gateway(await send(rpc({ action: 'QueryProductList', params: LIST, common: { Timestamp: stamp } })), 'InvalidTimeStamp.Format');
        gateway(await send(v3({ action: 'QueryProductList', query: LIST, headers: { 'x-acs-date': stamp } })), 'InvalidTimeStamp.Format');
      }
    });

    it('rejects a parameter changed or added after signing (query and form body)', async () => {
      const inQuery = rpc({ action: 'QueryProduct', params: { ProductKey: productKey } });
      gateway(await send({ ...inQuery, rawQuery: inQuery.rawQuery.replace(`ProductKey=${productKey}`, 'ProductKey=a1Other00000') }), 'SignatureDoesNotMatch');
      gateway(await send({ ...inQuery, rawQuery: `${inQuery.rawQuery}&IotInstanceId=x` }), 'SignatureDoesNotMatch');
      const inBody = rpc({ action: 'QueryProduct', method: 'POST', params: { ProductKey: productKey } });
      gateway(await send({ ...inBody, body: inBody.body.replace(`ProductKey=${productKey}`, 'ProductKey=a1Other00000') }), 'SignatureDoesNotMatch');
      // A GET-signed request replayed as POST fails: the method is signed (rpc-protocol §6).
      gateway(await send({ ...inQuery, method: 'POST' }), 'SignatureDoesNotMatch');
      const inV3 = v3({ action: 'QueryProduct', query: { ProductKey: productKey } });
      gateway(await send({ ...inV3, rawQuery: 'ProductKey=a1Other00000' }), 'SignatureDoesNotMatch');
      gateway(await send({ ...inV3, rawQuery: `${inV3.rawQuery}&IotInstanceId=x` }), 'SignatureDoesNotMatch');
      gateway(await send({ ...inV3, headers: { ...inV3.headers, 'x-acs-action': 'DeleteProduct' } }), 'SignatureDoesNotMatch');
    });

    it('rejects a V3 body changed after signing, with or without a matching payload hash', async () => {
      const signed = v3({ action: 'QueryProductList', form: LIST });
      const body = 'CurrentPage=2&PageSize=10';
      gateway(await send({ ...signed, body }), 'SignatureDoesNotMatch');
      gateway(await send({ ...signed, body, headers: { ...signed.headers, 'x-acs-content-sha256': sign.sha256Hex(body) } }), 'SignatureDoesNotMatch');
    });

    it('requires every x-acs-* header, host and content-type to be signed', async () => {
      const signed = v3({ action: 'QueryProductList', query: LIST });
      gateway(await send({ ...signed, headers: { ...signed.headers, 'x-acs-extra': '1' } }), 'IncompleteSignature');
      gateway(await send({ ...signed, headers: { ...signed.headers, 'content-type': 'application/x-www-form-urlencoded' } }), 'IncompleteSignature');
      // Signed without host: the Host header the client necessarily sends is then unsigned.
      gateway(await send(v3({ action: 'QueryProductList', query: LIST, headers: { host: undefined } })), 'IncompleteSignature');
      for (const name of ['x-acs-signature-nonce', 'x-acs-date', 'x-acs-content-sha256']) {
        gateway(await send(v3({ action: 'QueryProductList', query: LIST, headers: { [name]: undefined } })), 'IncompleteSignature');
      }
      // Without x-acs-action there is no Action at all (rpc-protocol §2 rule 2), checked before the signature.
      gateway(await send(v3({ action: 'QueryProductList', query: LIST, headers: { 'x-acs-action': undefined } })), 'MissingAction');
    });

    it('names a missing signature or common parameter', async () => {
      const params = sign.rpcParams({ key: server.key, action: 'QueryProductList', params: LIST });
      gateway(await send(sign.rpcRequest('GET', params, 'query')), 'MissingSignature');
      const unsigned = v3({ action: 'QueryProductList', query: LIST });
      delete unsigned.headers.authorization;
      gateway(await send(unsigned), 'MissingSignature');
      for (const name of ['AccessKeyId', 'SignatureNonce', 'Timestamp', 'SignatureMethod'] as const) {
        gateway(await send(rpc({ action: 'QueryProductList', params: LIST, common: { [name]: undefined } })), `Missing${name}`);
      }
      gateway(await send(rpc({ action: 'QueryProductList', params: LIST, common: { Action: undefined } })), 'MissingAction');
      // A classic request signs only its parameters: an unsigned x-acs-action header must not choose the operation.
      const noAction = rpc({ action: 'QueryProductList', params: LIST, common: { Action: undefined } });
      const withHeader = { ...noAction, headers: { ...noAction.headers, 'x-acs-action': 'QueryProductList', 'x-acs-version': '2018-01-20' } };
      gateway(await send(withHeader), 'MissingAction');
      gateway(await send(rpc({ action: 'QueryProductList', params: LIST, common: { Version: undefined } })), 'MissingVersion');
    });

    it('rejects other signature methods and algorithms', async () => {
      gateway(await send(rpc({ action: 'QueryProductList', params: LIST, common: { SignatureMethod: 'HMAC-SHA256' } })), 'InvalidSignatureMethod');
      // rpc-protocol §4.1: another SignatureVersion is InvalidParameter (unconfirmed code).
      gateway(await send(rpc({ action: 'QueryProductList', params: LIST, common: { SignatureVersion: '2.0' } })), 'InvalidParameter');
      // errors.md §2: algorithm ≠ ACS3-HMAC-SHA256 is InvalidSignatureMethod (rpc-protocol §2 left it open).
      gateway(await send(v3({ action: 'QueryProductList', query: LIST, algorithm: 'ACS3-HMAC-SM3' })), 'InvalidSignatureMethod');
    });

    it('rejects a garbled Authorization header', async () => {
      const signed = v3({ action: 'QueryProductList', query: LIST });
      const auth = signed.headers.authorization!;
      const garbled = [
        'ACS3-HMAC-SHA256',
        'ACS3-HMAC-SHA256 nonsense',
        auth.replace(/,Signature=.*$/, ''),
        auth.replace(/SignedHeaders=[^,]*,/, ''),
        auth.replace('SignedHeaders=host;', 'SignedHeaders=HOST;'),
        auth.replace('Credential=', 'Credential:'),
        'Bearer abc.def',
      ];
      for (const authorization of garbled) {
        gateway(await send({ ...signed, headers: { ...signed.headers, authorization } }), 'IncompleteSignature');
      }
      gateway(await send({ ...signed, headers: { ...signed.headers, authorization: auth.replace(/Signature=\w+$/, 'Signature=00') } }), 'SignatureDoesNotMatch');
    });

    it('routes: unknown action, wrong version, other path, disallowed method', async () => {
      gateway(await send(rpc({ action: 'NoSuchAction' })), 'InvalidApi.NotFound');
      gateway(await send(v3({ action: 'NoSuchAction' })), 'InvalidApi.NotFound');
      gateway(await send(rpc({ action: 'QueryProductList', params: LIST, common: { Version: '2017-04-20' } })), 'InvalidVersion');
      gateway(await send(v3({ action: 'QueryProductList', query: LIST, headers: { 'x-acs-version': '2022-01-01' } })), 'InvalidVersion');
      const signed = rpc({ action: 'QueryProductList', params: LIST });
      gateway(await send({ ...signed, path: '/v1/products' }), 'InvalidApi.NotFound');
      gateway(await send({ method: 'POST', path: '/index.html', rawQuery: '', headers: {}, body: '' }), 'InvalidApi.NotFound');
      gateway(await send({ ...signed, path: '/%zz' }), 'InvalidApi.NotFound');
      for (const method of ['PUT', 'DELETE', 'PATCH']) {
        gateway(await send(rpc({ action: 'QueryProductList', params: LIST, method, placement: 'query' })), 'UnsupportedHTTPMethod');
      }
    });

    it('answers XML when asked: {Action}Response for success and business failure, Error for the gateway', async () => {
      const ok = await send(rpc({ action: 'QueryProduct', params: { ProductKey: productKey }, common: { Format: 'XML' } }));
      expect({ status: ok.status, type: ok.contentType }).toEqual({ status: 200, type: 'text/xml;charset=utf-8' });
      expect(ok.text.startsWith('<?xml version="1.0" encoding="UTF-8"?><QueryProductResponse>')).toBe(true);
      const okDoc = xml.parse(ok.text).QueryProductResponse;
      expect(okDoc).toMatchObject({ Success: 'true', Data: { ProductKey: productKey, ProductName: 'gw_pump' } });
      expect(okDoc.RequestId).toMatch(REQUEST_ID);
      const list = await send(rpc({ action: 'QueryProductList', params: LIST, common: { Format: 'xml' } }));
      expect(xml.parse(list.text).QueryProductListResponse.Data.List.ProductInfo).toMatchObject({ ProductKey: productKey });

      const failed = await send(rpc({ action: 'QueryProduct', params: { ProductKey: 'a1NoSuchOne' }, common: { Format: 'XML' } }));
      expect({ status: failed.status, type: failed.contentType }).toEqual({ status: 200, type: 'text/xml;charset=utf-8' });
      expect(xml.parse(failed.text).QueryProductResponse).toMatchObject({ Success: 'false', Code: 'iot.prod.NotExistedProduct' });

      const gw = await send(rpc({ action: 'NoSuchAction', common: { Format: 'XML' } }));
      expect({ status: gw.status, type: gw.contentType }).toEqual({ status: 404, type: 'text/xml;charset=utf-8' });
      const error = xml.parse(gw.text).Error;
      expect(error).toMatchObject({ Code: 'InvalidApi.NotFound', HostId: server.endpoint, Message: gatewayTable.get('InvalidApi.NotFound')!.message });
      expect(error.RequestId).toMatch(REQUEST_ID);
    });

    it('rejects an unknown Format and defaults to XML without Format or Accept', async () => {
      gateway(await send(rpc({ action: 'QueryProductList', params: LIST, common: { Format: 'foo' } })), 'InvalidParameter.Format');
      const plain = await send(rpc({ action: 'QueryProductList', params: LIST, common: { Format: undefined } }));
      expect({ status: plain.status, type: plain.contentType }).toEqual({ status: 200, type: 'text/xml;charset=utf-8' });
      expect(xml.parse(plain.text).QueryProductListResponse.Success).toBe('true');
      const noAccept = await send(v3({ action: 'QueryProductList', query: LIST, accept: '' }));
      expect(noAccept.contentType).toBe('text/xml;charset=utf-8');
      const xmlAccept = await send(v3({ action: 'QueryProductList', query: LIST, accept: 'application/xml' }));
      expect(xmlAccept.contentType).toBe('text/xml;charset=utf-8');
      // rpc-protocol §9.3: gateway errors stay JSON unless XML was asked for explicitly.
      gateway(await send(rpc({ action: 'NoSuchAction', common: { Format: undefined } })), 'InvalidApi.NotFound');
      gateway(await send({ method: 'GET', path: '/', rawQuery: 'Action=QueryProductList', headers: {}, body: '' }), 'MissingVersion');
    });

    it('gives every answer its own upper-case UUID RequestId', async () => {
      const answers = await Promise.all([
        send(rpc({ action: 'QueryProductList', params: LIST })),
        send(rpc({ action: 'QueryProduct', params: { ProductKey: 'a1NoSuchOne' } })),
        send(rpc({ action: 'NoSuchAction' })),
        send({ method: 'GET', path: '/nowhere', rawQuery: '', headers: {}, body: '' }),
      ]);
      const ids = answers.map((a) => a.json!.RequestId);
      for (const id of ids) expect(id).toMatch(REQUEST_ID);
      expect(new Set(ids).size).toBe(ids.length);
    });

    it('answers bodies over 1 MiB (and over 4 MiB) with a gateway error, then keeps serving', async () => {
      const big = 'x'.repeat(1024 * 1024 + 1);
      gateway(await send(rpc({ action: 'QueryProductList', method: 'POST', params: { ...LIST, Description: big } })), 'InvalidParameter', { anyMessage: true });
      gateway(await send(v3({ action: 'QueryProductList', query: LIST, form: { Description: big } })), 'InvalidParameter', { anyMessage: true });
      const huge = { method: 'POST', path: '/', rawQuery: 'Action=QueryProductList', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'x'.repeat(5 * 1024 * 1024) };
      gateway(await send(huge), 'InvalidParameter', { anyMessage: true });
      expectOk(await send(rpc({ action: 'QueryProductList', params: LIST })));
    });

    it('survives malformed percent-encoding and signs the decoded text', async () => {
      gateway(await send({ method: 'GET', path: '/', rawQuery: 'Action=%zz&Version=%E6%96&%=%%', headers: {}, body: '' }), 'MissingSignature');
      // rpc-protocol §3.2: a malformed escape stays literal; the signature covers the decoded value.
      for (const literal of ['%zz', '%E6%96', '100%']) {
        const signed = rpc({ action: 'QueryProduct', params: { ProductKey: literal } });
        const raw = signed.rawQuery.replace(`ProductKey=${sign.percentEncode(literal)}`, `ProductKey=${literal}`);
        expect(raw).not.toBe(signed.rawQuery);
        const res = await send({ ...signed, rawQuery: raw });
        expect(res.status).toBe(200);
        expect(String(res.json!.Code)).toMatch(/^iot\.prod\./);
      }
    });

    it('lets the body win over the query for a duplicated parameter, in both schemes', async () => {
      const signed = rpc({ action: 'QueryProduct', method: 'POST', params: { ProductKey: productKey } });
      expectOk(await send({ ...signed, rawQuery: 'ProductKey=a1NoSuchOne' }));
      const both = await send(v3({ action: 'QueryProduct', query: { ProductKey: 'a1NoSuchOne' }, form: { ProductKey: productKey } }));
      expect((expectOk(both).Data as { ProductKey: string }).ProductKey).toBe(productKey);
    });

    it('resolves IotInstanceId: unknown is a business failure, the default id is accepted', async () => {
      const accounts = server.service.services.accounts;
      const caller = (await accounts.resolveKey(server.key.accessKeyId))!;
      const scope = (await accounts.resolveScope(caller.accountId, undefined))!;
      expectBusiness(await send(rpc({ action: 'QueryProduct', params: { ProductKey: productKey, IotInstanceId: 'iot-nosuchone' } })), 'iot.system.InstanceNotFound');
      expectBusiness(await send(v3({ action: 'QueryProductList', query: { ...LIST, IotInstanceId: 'iot-nosuchone' } })), 'iot.system.InstanceNotFound');
      expectOk(await send(rpc({ action: 'QueryProduct', params: { ProductKey: productKey, IotInstanceId: scope.iotInstanceId } })));
      // Another account's instance id is as unknown as a made-up one (tenant isolation).
      const other = await accounts.createAccount('instance_owner');
      expectBusiness(await send(rpc({ action: 'QueryProductList', params: { ...LIST, IotInstanceId: other.iotInstanceId } })), 'iot.system.InstanceNotFound');
    });

    it('answers Missing{Name} for an absent operation parameter and InvalidParameter for a bad integer', async () => {
      gateway(await send(rpc({ action: 'QueryProduct' })), 'MissingProductKey');
      gateway(await send(v3({ action: 'QueryProduct' })), 'MissingProductKey');
      // Present but empty is the operation's business answer (rpc-protocol §9.3).
      expectBusiness(await send(rpc({ action: 'QueryProduct', params: { ProductKey: '' } })), 'iot.prod.NullProductKey');
      const bad = await send(rpc({ action: 'QueryProductList', params: { CurrentPage: 'abc', PageSize: '10' } }));
      gateway(bad, 'InvalidParameter');
      expect(bad.json!.Message).toBe('Specified parameter CurrentPage is not valid.');
      gateway(await send(v3({ action: 'QueryProductList', query: { CurrentPage: '1.5', PageSize: '10' } })), 'InvalidParameter');
    });
  });

  describe(`nonces survive a restart on the same storage (${dialect})`, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer(dialect);
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('still rejects a nonce used before the restart, in both schemes', async () => {
      const rpcReq = sign.signRpc({ key: server.key, action: 'QueryProductList', params: LIST });
      const v3Req = sign.signV3({ key: server.key, host: server.endpoint, action: 'QueryProductList', query: LIST });
      expectOk(await sendRaw(server.url, rpcReq));
      expectOk(await sendRaw(server.url, v3Req));
      await server.service.close();
      const again = await startService(loadConfig(server.env), { log: pino({ level: 'silent' }) });
      try {
        // The V3 request keeps the Host it was signed for; the server verifies the Host header it receives.
        expectGateway(await sendRaw(again.httpUrl, rpcReq), 'SignatureNonceUsed', again.httpUrl.replace('http://', ''));
        expectGateway(await sendRaw(again.httpUrl, v3Req), 'SignatureNonceUsed', server.endpoint);
        expectOk(await sendRaw(again.httpUrl, sign.signRpc({ key: server.key, action: 'QueryProductList', params: LIST })));
      } finally {
        await again.close();
      }
    });
  });

  describe(`throttling with FLOTILLA_RATE_LIMITS=on (${dialect})`, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer(dialect, { env: { FLOTILLA_RATE_LIMITS: 'on' } });
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('answers Throttling.Api past one action’s QPS, per account and per action', async () => {
      // UpdateProduct allows 10 QPS (fleet-api); 80 at once cannot all pass within the refill.
      const burst = Array.from({ length: 80 }, () =>
        sendRaw(server.url, sign.signRpc({ key: server.key, action: 'UpdateProduct', params: { ProductKey: 'a1NoSuchOne', ProductName: 'n_x' } })),
      );
      const answers = await Promise.all(burst);
      const throttled = answers.filter((a) => a.json?.Code === 'Throttling.Api');
      const served = answers.filter((a) => a.status === 200);
      expect(throttled.length + served.length).toBe(answers.length);
      expect(throttled.length).toBeGreaterThan(0);
      expect(served.length).toBeGreaterThanOrEqual(10);
      for (const a of throttled) expectGateway(a, 'Throttling.Api', server.endpoint);

      // Another action of the same account and the same action of another account have budgets of their own.
      expectOk(await sendRaw(server.url, sign.signRpc({ key: server.key, action: 'QueryProductList', params: LIST })));
      const other = await server.service.services.accounts.createAccount('throttle_other');
      const otherKey = { accessKeyId: other.accessKeyId, accessKeySecret: other.accessKeySecret };
      const res = await sendRaw(server.url, sign.signRpc({ key: otherKey, action: 'UpdateProduct', params: { ProductKey: 'a1NoSuchOne', ProductName: 'n_x' } }));
      expectBusiness(res, 'iot.prod.NotExistedProduct');
    });
  });
}

describe('operation rules on a test-only operation (rpcPlugin on loopback)', () => {
  // No registered operation is POST-only or takes a repeat list yet; this one is (rpc-protocol §1, §3.1).
  const testEcho = defineOperation({
    action: 'TestEcho',
    methods: ['POST'],
    qps: 100,
    params: { Item: repeatList(text()), Pair: repeatObjects({ Key: text(), Value: text().optional() }).optional() },
    async run({ params }) {
      return { Items: { Item: params.Item }, Pairs: { Pair: params.Pair ?? [] } };
    },
  });
  let server: TestServer;
  let app: FastifyInstance;
  let url: string;
  const { rpc, send } = client(() => ({ url, endpoint: url.replace('http://', '') }), () => server.key);
  const echo = (params: sign.Params, method: 'GET' | 'POST' = 'POST') => send(rpc({ action: 'TestEcho', method, params }));
  const endpoint = () => url.replace('http://', '');

  beforeAll(async () => {
    server = await startTestServer(testDialects()[0] ?? 'sqlite');
    const nonces = createNonceRecorder(server.service.storage.db);
    app = Fastify({ genReqId: () => idFormats.requestId() });
    await app.register(rpcPlugin, {
      operations: [testEcho],
      services: server.service.services,
      settings: { gmtOffsetMinutes: 480, region: 'cn-shanghai' },
      clock: systemClock,
      throttle: undefined,
      timestampWindowMs: 15 * MINUTE,
      recordNonce: (id, nonce) => nonces.record(id, nonce, Date.now() + 31 * MINUTE),
      isShuttingDown: () => false,
      log: pino({ level: 'silent' }),
    });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await app?.close();
    await server?.stop();
  });

  it('refuses a method the operation does not allow, after authentication', async () => {
    expectGateway(await echo({ 'Item.1': 'a' }, 'GET'), 'UnsupportedHTTPMethod', endpoint());
    expectOk(await echo({ 'Item.1': 'a' }, 'POST'));
  });

  it('reads repeat lists in numeric order, ignoring gaps and coping with huge indexes', async () => {
    const res = expectOk(await echo({ 'Item.10': 'j', 'Item.2': 'b', 'Item.9': 'i', 'Item.99999999999999999999999': 'z' }));
    expect(res.Items).toEqual({ Item: ['b', 'i', 'j', 'z'] });
    const objects = expectOk(await echo({ 'Item.1': 'a', 'Pair.3.Key': 'k3', 'Pair.1.Key': 'k1', 'Pair.1.Value': 'v1' }));
    expect(objects.Pairs).toEqual({ Pair: [{ Key: 'k1', Value: 'v1' }, { Key: 'k3' }] });
    // One element is still a list.
    expect(expectOk(await echo({ 'Item.1': 'only' })).Items).toEqual({ Item: ['only'] });
  });

  it('answers Missing{Name} for an absent list and InvalidParameter for bad indexes or shapes', async () => {
    expectGateway(await echo({}), 'MissingItem', endpoint());
    const bad: sign.Params[] = [{ 'Item.0': 'a' }, { 'Item.01': 'a' }, { 'Item.x': 'a' }, { Item: 'scalar' }, { 'Item.1': 'a', 'Pair.1': 'flat' }, { 'Item.1': 'a', 'Pair.1.Value': 'no key' }];
    for (const params of bad) {
      expectGateway(await echo(params), 'InvalidParameter', endpoint());
    }
  });
});
