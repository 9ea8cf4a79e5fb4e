/**
 * rpc-protocol §5: UTF-8 bytes, `A–Z a–z 0–9 - _ . ~` kept, every other byte `%XY` in upper-case hex
 * (space → %20, `*` → %2A). The same rule serves both signature schemes.
 */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}
