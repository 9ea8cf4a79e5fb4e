import type { z } from 'zod';
import { GatewayError, gatewayErrors } from './gateway-error.js';

type Raw = string | string[] | Record<string, string>[];

/**
 * Turns the flat wire map into the operation's parameter object (rpc-protocol §3.1): for each declared name
 * `N`, `N=v` is a scalar, `N.1=a&N.3=b` a list (numeric order, gaps ignored), `N.1.Key=k` a list of objects.
 * Undeclared names are ignored. Then: an absent required parameter is `Missing{N}`, a value failing its
 * type is `InvalidParameter` (rpc-protocol §9.3, §10 step 10).
 */
export function decodeParams<T>(schema: z.ZodObject<z.ZodRawShape>, wire: ReadonlyMap<string, string>): T {
  const shape = schema.shape;
  const listParts = groupListKeys(wire, shape);
  const input: Record<string, Raw> = Object.create(null);
  for (const name of Object.keys(shape)) {
    const list = listParts.get(name);
    if (list !== undefined) input[name] = buildList(name, list);
    else if (wire.has(name)) input[name] = wire.get(name)!;
  }
  for (const [name, field] of Object.entries(shape)) {
    if (input[name] === undefined && !(field as z.ZodType).safeParse(undefined).success) throw gatewayErrors.missing(name);
  }
  // U+0000 fits no name, id, description or JSON text of this API, and PostgreSQL text cannot hold it:
  // refused here, alike on both dialects, before any look-up (unconfirmed what Alibaba answers; the
  // RPC fuzzer found it turning into SystemException on PostgreSQL).
  for (const name of Object.keys(input)) if (holdsNul(input[name]!)) throw gatewayErrors.invalidParameter(name);
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw gatewayErrors.invalidParameter(String(first?.path[0] ?? 'parameter'));
  }
  return parsed.data as T;
}

function holdsNul(raw: Raw): boolean {
  if (typeof raw === 'string') return raw.includes('\u0000');
  return raw.some((item) => (typeof item === 'string' ? item.includes('\u0000') : Object.values(item).some((v) => v.includes('\u0000'))));
}

interface ListEntry {
  index: string;
  field: string | undefined;
  value: string;
}

function groupListKeys(wire: ReadonlyMap<string, string>, shape: z.ZodRawShape): Map<string, ListEntry[]> {
  const lists = new Map<string, ListEntry[]>();
  for (const [key, value] of wire) {
    const dot = key.indexOf('.');
    if (dot <= 0) continue;
    const name = key.slice(0, dot);
    if (!Object.hasOwn(shape, name)) continue;
    const rest = key.slice(dot + 1);
    const second = rest.indexOf('.');
    const index = second === -1 ? rest : rest.slice(0, second);
    const field = second === -1 ? undefined : rest.slice(second + 1);
    let entries = lists.get(name);
    if (entries === undefined) lists.set(name, (entries = []));
    entries.push({ index, field, value });
  }
  return lists;
}

function buildList(name: string, entries: ListEntry[]): string[] | Record<string, string>[] {
  const invalid = (): GatewayError => gatewayErrors.invalidParameter(name);
  for (const e of entries) if (!/^[1-9]\d*$/.test(e.index)) throw invalid();
  // Compare indexes as decimal text (length first), so `N.99999999999999999999` neither overflows nor hangs.
  const byIndex = (a: string, b: string) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
  const scalar = entries.filter((e) => e.field === undefined);
  if (scalar.length === entries.length) {
    return scalar.sort((a, b) => byIndex(a.index, b.index)).map((e) => e.value);
  }
  if (scalar.length > 0) throw invalid();
  const objects = new Map<string, Record<string, string>>();
  for (const e of entries) {
    let item = objects.get(e.index);
    if (item === undefined) objects.set(e.index, (item = Object.create(null) as Record<string, string>));
    item[e.field!] = e.value;
  }
  return [...objects.entries()].sort(([a], [b]) => byIndex(a, b)).map(([, item]) => ({ ...item }));
}
