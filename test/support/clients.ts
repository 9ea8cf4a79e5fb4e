import IotSdk from '@alicloud/iot20180120';
import type ClientClass from '@alicloud/iot20180120/dist/client.js';
import * as OpenApi from '@alicloud/openapi-client';
import RPCClient from '@alicloud/pop-core';

/** The official SDK class, whichever way the CommonJS module is presented to the ESM loader. */
type IotClientType = ClientClass.default;
// Under Node's ESM loader the default import is the whole CommonJS module and the class is its `default`;
// some loaders hand over the class directly.
const IotClient = ((IotSdk as unknown as { default?: unknown }).default ?? IotSdk) as new (config: OpenApi.Config) => IotClientType;
export * as iot from '@alicloud/iot20180120';

export type SignatureMode = 'v3' | 'v2';

export interface Credentials {
  accessKeyId: string;
  accessKeySecret: string;
}

/** `@alicloud/iot20180120` pointed at a local Flotilla: default V3 (ACS3-HMAC-SHA256) or classic v2 (HMAC-SHA1). */
export function sdkClient(endpoint: string, key: Credentials, mode: SignatureMode = 'v3'): IotClientType {
  const ConfigClass = (OpenApi as unknown as { Config: typeof OpenApi.Config }).Config;
  const config = new ConfigClass({
    accessKeyId: key.accessKeyId,
    accessKeySecret: key.accessKeySecret,
    endpoint,
    protocol: 'http',
    readTimeout: 20_000,
    connectTimeout: 5_000,
    ...(mode === 'v2' ? { signatureAlgorithm: 'v2' } : {}),
  });
  return new IotClient(config);
}

/** `@alicloud/pop-core` RPCClient; `request(action, params, { method: 'POST' })` for form bodies. */
export function popClient(url: string, key: Credentials): RPCClient {
  const Ctor = ((RPCClient as unknown as { default?: typeof RPCClient }).default ?? RPCClient) as typeof RPCClient;
  return new Ctor({ accessKeyId: key.accessKeyId, accessKeySecret: key.accessKeySecret, endpoint: url, apiVersion: '2018-01-20' });
}
