/**
 * Device payloads are UTF-8 JSON (device-protocol.md §1), but the C SDK 4.x writes a trailing comma inside
 * an object (`"fileId":1,}`, §4.7). Parsing is strict JSON first; only when that fails are commas directly
 * before `}` or `]` (outside strings) removed and the text parsed once more. Anything else is refused.
 */

/** Alibaba's cap on one device message (MQTTDOC: 256 KB); callers pass a lower bound where messages are small. */
export const MAX_DEVICE_PAYLOAD_BYTES = 256 * 1024;

/** The parsed value, or undefined when the payload is not (lenient) JSON or is longer than `maxBytes`. */
export function parseLenientJson(payload: Buffer | string, maxBytes = MAX_DEVICE_PAYLOAD_BYTES): unknown {
  const length = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  if (length === 0 || length > maxBytes) return undefined;
  let text = typeof payload === 'string' ? payload : payload.toString('utf8');
  // A byte-order mark in front is tolerated (some embedded JSON writers emit one); JSON.parse refuses it.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const strict = tryParse(text);
  if (strict.ok) return strict.value;
  const repaired = withoutTrailingCommas(text);
  if (repaired === text) return undefined;
  const lenient = tryParse(repaired);
  return lenient.ok ? lenient.value : undefined;
}

function tryParse(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    // Syntax errors and, for absurd nesting, RangeError: both mean "not a message".
    return { ok: false };
  }
}

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);

/**
 * The text with every comma that follows a value and is followed (after JSON whitespace) by `}` or `]`
 * removed; strings untouched. `[,]` or `{"a":1,,}` stay as they are (and fail to parse).
 */
export function withoutTrailingCommas(text: string): string {
  let out = '';
  let copiedUpTo = 0;
  let inString = false;
  let previous = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (WHITESPACE.has(c)) continue;
    const before = previous;
    previous = c;
    if (c === '"') {
      inString = true;
      continue;
    }
    if (c !== ',' || before === '' || before === ',' || before === '[' || before === '{' || before === ':') continue;
    let j = i + 1;
    while (j < text.length && WHITESPACE.has(text[j]!)) j++;
    if (text[j] === '}' || text[j] === ']') {
      out += text.slice(copiedUpTo, i);
      copiedUpTo = i + 1;
    }
  }
  return copiedUpTo === 0 ? text : out + text.slice(copiedUpTo);
}
