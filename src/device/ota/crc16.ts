/**
 * CRC-16/ARC, the checksum after each block of an MQTT download reply (device-protocol.md §4.7):
 * polynomial 0x8005 processed reflected (0xA001), initial value 0, no final XOR. Check value of the ASCII
 * bytes "123456789" is 0xBB3D.
 */
const TABLE = buildTable();

export function crc16Arc(data: Uint8Array, crc = 0): number {
  for (let i = 0; i < data.length; i++) crc = (crc >>> 8) ^ TABLE[(crc ^ data[i]!) & 0xff]!;
  return crc;
}

function buildTable(): Uint16Array {
  const table = new Uint16Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xa001 : c >>> 1;
    table[n] = c;
  }
  return table;
}
