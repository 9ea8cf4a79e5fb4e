/**
 * The few MQTT 3.1.1 packets the device swarm sends, encoded by hand, and a frame splitter for what brokers
 * answer. 19,000 clients in one load-generator process must cost little: no client library, no packet
 * objects, only buffers (mqtt.js keeps a store, timers and streams per client).
 */

const utf8 = (s: string) => Buffer.from(s, 'utf8');

function remainingLength(n: number): Buffer {
  const bytes: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    bytes.push(b);
  } while (n > 0);
  return Buffer.from(bytes);
}

function lengthPrefixed(b: Buffer): Buffer {
  const len = Buffer.allocUnsafe(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
}

function packet(firstByte: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([firstByte]), remainingLength(body.length), body]);
}

/** CONNECT, clean session, user name and password, no will. */
export function connectPacket(f: { clientId: string; username: string; password: string; keepaliveS: number }): Buffer {
  const keepalive = Buffer.allocUnsafe(2);
  keepalive.writeUInt16BE(f.keepaliveS);
  const header = Buffer.concat([lengthPrefixed(utf8('MQTT')), Buffer.from([4, 0b1100_0010]), keepalive]);
  return packet(0x10, Buffer.concat([header, lengthPrefixed(utf8(f.clientId)), lengthPrefixed(utf8(f.username)), lengthPrefixed(utf8(f.password))]));
}

/** SUBSCRIBE to one filter at QoS 1. */
export function subscribePacket(messageId: number, filter: string): Buffer {
  const id = Buffer.allocUnsafe(2);
  id.writeUInt16BE(messageId);
  return packet(0x82, Buffer.concat([id, lengthPrefixed(utf8(filter)), Buffer.from([1])]));
}

/** PUBLISH at QoS 1: fixed header, topic and message id in one buffer, so that sending costs one allocation. */
export function publishQos1(topic: Buffer, messageId: number, payload: Buffer): Buffer {
  const bodyLength = 2 + topic.length + 2 + payload.length;
  const rl = bodyLength < 128 ? 1 : bodyLength < 16_384 ? 2 : 3;
  const out = Buffer.allocUnsafe(1 + rl + bodyLength);
  out[0] = 0x32;
  let at = 1;
  for (let n = bodyLength; ; ) {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out[at++] = b;
    if (n === 0) break;
  }
  out.writeUInt16BE(topic.length, at);
  topic.copy(out, at + 2);
  at += 2 + topic.length;
  out.writeUInt16BE(messageId, at);
  payload.copy(out, at + 2);
  return out;
}

/** Splits a byte stream into MQTT packets: calls `onPacket(type, body)` with the body after the fixed header. */
export function frameSplitter(onPacket: (type: number, body: Buffer) => void): (chunk: Buffer) => void {
  let pending: Buffer | undefined;
  return (chunk) => {
    const buf = pending === undefined ? chunk : Buffer.concat([pending, chunk]);
    pending = undefined;
    let at = 0;
    while (at < buf.length) {
      let length = 0;
      let multiplier = 1;
      let i = at + 1;
      let complete = false;
      while (i < buf.length) {
        const b = buf[i++]!;
        length += (b & 0x7f) * multiplier;
        multiplier *= 128;
        if ((b & 0x80) === 0) {
          complete = true;
          break;
        }
      }
      if (!complete || i + length > buf.length) break;
      onPacket(buf[at]! >> 4, buf.subarray(i, i + length));
      at = i + length;
    }
    if (at < buf.length) pending = Buffer.from(buf.subarray(at));
  };
}

export const PacketType = { CONNACK: 2, PUBLISH: 3, PUBACK: 4, SUBACK: 9, PINGRESP: 13 } as const;
