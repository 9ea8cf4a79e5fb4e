import { createHmac } from 'node:crypto';
import { percentEncode } from './percent-encode.js';

/** rpc-protocol §6 steps 1–5: the classic RPC string to sign, over decoded parameters minus `Signature`. */
export function rpcStringToSign(method: string, params: ReadonlyMap<string, string>): string {
  const encoded: string[] = [];
  for (const [name, value] of params) {
    if (name === 'Signature') continue;
    encoded.push(`${percentEncode(name)}=${percentEncode(value)}`);
  }
  // Byte order of the encoded names; the value breaks no tie because names are unique in the map.
  encoded.sort((a, b) => {
    const an = a.slice(0, a.indexOf('='));
    const bn = b.slice(0, b.indexOf('='));
    return an < bn ? -1 : an > bn ? 1 : 0;
  });
  return `${method}&${percentEncode('/')}&${percentEncode(encoded.join('&'))}`;
}

/** rpc-protocol §6 step 6: Base64(HMAC-SHA1(secret + "&", stringToSign)). */
export function rpcSignature(stringToSign: string, accessKeySecret: string): string {
  return createHmac('sha1', `${accessKeySecret}&`).update(stringToSign, 'utf8').digest('base64');
}
