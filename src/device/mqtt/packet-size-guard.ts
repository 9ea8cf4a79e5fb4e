import type { Client } from 'aedes';

/**
 * Alibaba caps a device message at 256 KB (MQTTDOC). Aedes' parser (mqtt-packet) has no size limit for MQTT
 * 3.1.1 and buffers a packet whole before handing it over, so a device announcing a huge packet could make
 * the broker hold it in memory. This refuses a packet as soon as its fixed header announces a remaining
 * length above the limit, before the body is buffered: the parser errors and Aedes closes the connection.
 */
export const MAX_PACKET_BYTES = 256 * 1024 + 1024; // 256 KB payload plus room for topic and header

interface PacketParser {
  packet: { length: number };
  _parseLength(): boolean;
  _emitError(err: Error): boolean;
}

interface GuardedParser extends PacketParser {
  parseLengthUnguarded: () => boolean;
}

// One function for every connection (a closure each would cost memory per connection).
function guardedParseLength(this: GuardedParser): boolean {
  const complete = this.parseLengthUnguarded();
  if (complete && this.packet.length > MAX_PACKET_BYTES) {
    return this._emitError(new Error(`packet of ${this.packet.length} bytes exceeds ${MAX_PACKET_BYTES}`));
  }
  return complete;
}

export function guardPacketSize(client: Client): void {
  const parser = (client as unknown as { _parser: GuardedParser })._parser;
  parser.parseLengthUnguarded = Object.getPrototypeOf(parser)._parseLength;
  parser._parseLength = guardedParseLength;
}
