import { createHmac } from 'node:crypto';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

/** What a device knows about itself (RegisterDevice's answer). */
export interface DeviceKeys {
  productKey: string;
  deviceName: string;
  deviceSecret: string;
}

export type SignMethod = 'hmacsha1' | 'hmacsha256' | 'hmacmd5';

export interface SignInStyle {
  /** `node`: the Node SDK's `pk&dn|securemode=3,signmethod=…,timestamp=now,lan=NodeJS,_v=1.2.8|`;
   *  `c4`: C SDK 4.x `pk.dn|timestamp=2524608000000,_ss=1,_v=sdk-c-4.0.0,securemode=2,signmethod=…,ext=3|`, upper-case hex. */
  style?: 'node' | 'c4';
  signMethod?: SignMethod;
  /** Omit the timestamp from ClientId and signed content. */
  noTimestamp?: boolean;
}

const algorithms: Record<SignMethod, string> = { hmacsha1: 'sha1', hmacsha256: 'sha256', hmacmd5: 'md5' };

/** The CONNECT fields a real SDK would send (device-protocol.md §2.2, §2.3). */
export function signInFields(keys: DeviceKeys, style: SignInStyle = {}): { clientId: string; username: string; password: string } {
  const signMethod = style.signMethod ?? (style.style === 'c4' ? 'hmacsha256' : 'hmacsha1');
  const c4 = style.style === 'c4';
  const id = c4 ? `${keys.productKey}.${keys.deviceName}` : `${keys.productKey}&${keys.deviceName}`;
  const timestamp = style.noTimestamp ? undefined : c4 ? '2524608000000' : String(Date.now());
  const ts = timestamp === undefined ? '' : `timestamp=${timestamp},`;
  const clientId = c4
    ? `${id}|${ts}_ss=1,_v=sdk-c-4.0.0,securemode=2,signmethod=${signMethod},ext=3|`
    : `${id}|securemode=3,signmethod=${signMethod},${ts}lan=NodeJS,_v=1.2.8|`;
  let content = `clientId${id}deviceName${keys.deviceName}productKey${keys.productKey}`;
  if (timestamp !== undefined) content += `timestamp${timestamp}`;
  const hex = createHmac(algorithms[signMethod], keys.deviceSecret).update(content).digest('hex');
  return { clientId, username: `${keys.deviceName}&${keys.productKey}`, password: c4 ? hex.toUpperCase() : hex };
}

/** Connects with mqtt.js; resolves with the client once CONNACK 0 arrived, rejects with the refusal otherwise. */
export function connectDevice(brokerUrl: string, fields: { clientId: string; username?: string; password?: string }, options: IClientOptions = {}): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(brokerUrl, {
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      keepalive: 60,
      clean: true,
      ...fields,
      ...options,
    });
    const fail = (err: Error) => {
      client.end(true);
      reject(err);
    };
    client.once('connect', () => {
      client.off('error', fail);
      resolve(client);
    });
    client.once('error', fail);
    client.once('close', () => fail(new Error('connection closed before CONNACK')));
  });
}

/** The CONNACK return code a refused CONNECT got (mqtt.js puts it on the error's `code`). */
export async function refusalCode(brokerUrl: string, fields: { clientId: string; username?: string; password?: string }, options: IClientOptions = {}): Promise<number | undefined> {
  try {
    const client = await connectDevice(brokerUrl, fields, options);
    await client.endAsync();
    return 0;
  } catch (err) {
    return (err as { code?: number }).code;
  }
}

/** Polls `probe` until it returns something other than undefined (state written in batches shows up shortly after). */
export async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
