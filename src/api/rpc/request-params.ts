/**
 * Decoding of query strings and form bodies into name/value pairs (rpc-protocol §3.2): percent-decode
 * every key and value, `+` is a space, malformed escapes never throw. Clients encode differently (the SDK
 * leaves `*()!` raw, POP sends RFC 3986), so signatures are always computed over decoded pairs.
 */
export type Pair = readonly [name: string, value: string];

export function decodeFormPairs(text: string): Pair[] {
  const pairs: Pair[] = [];
  if (text === '') return pairs;
  for (const part of text.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const rawName = eq === -1 ? part : part.slice(0, eq);
    const rawValue = eq === -1 ? '' : part.slice(eq + 1);
    pairs.push([safeDecode(rawName), safeDecode(rawValue)]);
  }
  return pairs;
}

function safeDecode(text: string): string {
  const spaced = text.includes('+') ? text.replace(/\+/g, ' ') : text;
  if (!spaced.includes('%')) return spaced;
  try {
    return decodeURIComponent(spaced);
  } catch {
    // A malformed escape (`%zz`, a lone surrogate half): decode what is valid, keep the rest literally.
    return spaced.replace(/(%[0-9A-Fa-f]{2})+/g, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        return run;
      }
    });
  }
}

/**
 * Query pairs then body pairs, one value per name; on a clash the body wins, as the SDK's own v2 signer
 * does (rpc-protocol §3.2). Map keeps names like `__proto__` harmless.
 */
export function mergeParams(query: readonly Pair[], body: readonly Pair[]): Map<string, string> {
  const merged = new Map<string, string>();
  for (const [name, value] of query) merged.set(name, value);
  for (const [name, value] of body) merged.set(name, value);
  return merged;
}
