import { connect, type Socket } from 'node:net';

/**
 * A hand-made MQTT CONNECT (3.1.1, or 3.1 with `protocolVersion: 3`), for devices that must misbehave in ways
 * mqtt.js does not allow: stay silent past their keep-alive, drop the socket mid sign-in.
 */
export function connectPacket(fields: { clientId: string; username: string; password: string; keepalive: number; protocolVersion?: 3 | 4 }): Buffer {
  const str = (s: string) => {
    const bytes = Buffer.from(s, 'utf8');
    const len = Buffer.alloc(2);
    len.writeUInt16BE(bytes.length);
    return Buffer.concat([len, bytes]);
  };
  const v3 = fields.protocolVersion === 3;
  const keepalive = Buffer.alloc(2);
  keepalive.writeUInt16BE(fields.keepalive);
  // Flags: user name, password, clean session.
  const variable = Buffer.concat([str(v3 ? 'MQIsdp' : 'MQTT'), Buffer.from([v3 ? 3 : 4, 0x80 | 0x40 | 0x02]), keepalive]);
  const body = Buffer.concat([variable, str(fields.clientId), str(fields.username), str(fields.password)]);
  return Buffer.concat([Buffer.from([0x10]), remainingLength(body.length), body]);
}

/** The MQTT variable-length encoding of a packet's remaining length. */
export function remainingLength(n: number): Buffer {
  const bytes: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    bytes.push(byte);
  } while (n > 0);
  return Buffer.from(bytes);
}

/** A plain TCP socket to the broker at `mqtt://host:port`, connected. */
export function rawSocket(mqttUrl: string): Promise<Socket> {
  const url = new URL(mqttUrl);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port) }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Resolves with the first bytes the server sends (a CONNACK is 4 bytes: 0x20 0x02 flags code). */
export function firstData(socket: Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    socket.once('data', resolve);
    socket.once('close', () => reject(new Error('closed before any data')));
  });
}

/** Resolves once the socket is closed (by either side). */
export function closed(socket: Socket): Promise<void> {
  return new Promise((resolve) => (socket.destroyed && socket.closed ? resolve() : socket.once('close', () => resolve())));
}
