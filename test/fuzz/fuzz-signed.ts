import fc from 'fast-check';
import { z } from 'zod';
import type { Operation } from '../../src/api/rpc/operation.js';
import type { SignedSpec, WirePair } from '../support/fuzz-sign.js';
import { FORMATS, hostileValue, ODD_INDEXES, ODD_SUFFIXES, PLAUSIBLE_VALUES } from './fuzz-values.js';

export type IdKind = 'productKey' | 'deviceName' | 'iotId' | 'groupId' | 'instanceId';
export type IdPool = Record<IdKind, readonly string[]>;

export interface IdentifierPools {
  /** Identifiers any operation may receive (rows the fuzzer may change). */
  readonly mutable: IdPool;
  /** Identifiers only read-only operations receive: these rows must come out unchanged. */
  readonly protectedIds: IdPool;
}

/** A signed request before signing: signing happens at send time, so every run gets a fresh nonce and date. */
export type SignedCase = SignedSpec & { readonly kind: 'signed' };

/** Operations that cannot change anything, judging by Alibaba's naming (Query…, List…, Get…, Check…). */
export function isReadOnly(action: string): boolean {
  return /^(Query|List|Get|Check|Batch(Query|Get|Check))/.test(action) && action !== 'BatchCheckDeviceNames';
}

function idKindOf(name: string): IdKind | undefined {
  if (name === 'IotInstanceId') return 'instanceId';
  if (/ProductKey$/.test(name)) return 'productKey';
  if (/DeviceName$/.test(name)) return 'deviceName';
  if (/IotId$/.test(name)) return 'iotId';
  if (/GroupId$/.test(name) && name !== 'ResourceGroupId') return 'groupId';
  return undefined;
}

/** The declared type of a wire parameter, read from the operation's zod shape. */
type FieldShape = { list: false; scalar: z.ZodType } | { list: true; scalar: z.ZodType } | { list: true; fields: Record<string, z.ZodType> };

function shapeOf(field: z.ZodType): FieldShape {
  const inner = field instanceof z.ZodOptional ? (field.unwrap() as z.ZodType) : field;
  if (inner instanceof z.ZodArray) {
    const element = inner.element as z.ZodType;
    if (element instanceof z.ZodObject) return { list: true, fields: element.shape as Record<string, z.ZodType> };
    return { list: true, scalar: element };
  }
  return { list: false, scalar: inner };
}

/** Clean requests use plausible values only, so that they get past type checks into the operations. */
type Mode = 'clean' | 'hostile';

function valueArb(name: string, scalar: z.ZodType, ids: IdPool, mode: Mode): fc.Arbitrary<string> {
  const kind = idKindOf(name);
  const pool = kind === undefined ? [] : ids[kind];
  // Known identifiers first: a random one only ever meets "not found".
  if (pool.length > 0 && (mode === 'clean' || kind === 'instanceId')) {
    return fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...pool) }, { weight: mode === 'clean' ? 1 : 2, arbitrary: hostileValue });
  }
  const plausible = PLAUSIBLE_VALUES.filter((v) => scalar.safeParse(v).success);
  const valid: fc.Arbitrary<string>[] = [];
  if (pool.length > 0) valid.push(fc.constantFrom(...pool));
  if (plausible.length > 0) valid.push(fc.constantFrom(...plausible));
  if (mode === 'hostile' || plausible.length === 0) valid.push(fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{3,20}$/));
  if (mode === 'clean') return fc.oneof(...valid);
  return fc.oneof({ weight: 5, arbitrary: fc.oneof(...valid) }, { weight: 4, arbitrary: hostileValue });
}

const ordinaryIndexes = (n: number) => Array.from({ length: n }, (_, i) => String(i + 1));
const indexArb = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: 12 }).map(String) }, { weight: 2, arbitrary: fc.constantFrom(...ODD_INDEXES) });

function listPairs(name: string, shape: FieldShape, ids: IdPool, mode: Mode): fc.Arbitrary<WirePair[]> {
  if (!shape.list) throw new Error('not a list');
  if ('scalar' in shape) {
    const value = valueArb(name, shape.scalar, ids, mode);
    return fc.oneof(
      // Name.1 … Name.n in order, sometimes far more than any maxItems.
      { weight: 5, arbitrary: fc.array(value, { minLength: 1, maxLength: 6 }).map((vs) => vs.map((v, i) => [`${name}.${i + 1}`, v] as WirePair)) },
      // (short values: 400 values of 10k characters would only meet the 4 MiB header limit)
      { weight: 1, arbitrary: fc.tuple(valueArb(name, shape.scalar, ids, 'clean').filter((v) => v.length <= 64), fc.integer({ min: 11, max: 400 })).map(([v, n]) => ordinaryIndexes(n).map((i) => [`${name}.${i}`, `${v}${i}`] as WirePair)) },
      { weight: 3, arbitrary: fc.array(fc.tuple(indexArb, value), { minLength: 1, maxLength: 6 }).map((es) => es.map(([i, v]) => [`${name}.${i}`, v] as WirePair)) },
    );
  }
  const fieldNames = Object.keys(shape.fields);
  const fieldArb = fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...fieldNames) }, { weight: 1, arbitrary: fc.constantFrom('Key', 'Value', '', '0', '__proto__', 'Extra') });
  const entry = fc.tuple(indexArb, fieldArb, fc.constantFrom(...fieldNames)).chain(([i, f, typed]) =>
    valueArb(typed, shape.fields[typed]!, ids, mode).map((v) => [`${name}.${i}.${f}`, v] as WirePair),
  );
  const whole = fc.array(fc.tuple(...fieldNames.map((f) => valueArb(f, shape.fields[f]!, ids, mode))), { minLength: 1, maxLength: 5 }).map((objs) =>
    objs.flatMap((vals, i) => vals.map((v, j) => [`${name}.${i + 1}.${fieldNames[j]}`, v] as WirePair)),
  );
  return fc.oneof({ weight: 4, arbitrary: whole }, { weight: 3, arbitrary: fc.array(entry, { minLength: 1, maxLength: 8 }) });
}

function fieldPairs(name: string, field: z.ZodType, ids: IdPool, mode: Mode): fc.Arbitrary<WirePair[]> {
  const shape = shapeOf(field);
  const present = shape.list ? listPairs(name, shape, ids, mode) : valueArb(name, shape.scalar, ids, mode).map((v) => [[name, v] as WirePair]);
  const optional = field.safeParse(undefined).success;
  // Required parameters are sent most of the time so that requests reach the operation; IotInstanceId
  // mostly not, or nearly everything would end at iot.system.InstanceNotFound.
  const absent = !optional ? 1 : name === 'IotInstanceId' ? 12 : mode === 'clean' ? 4 : 3;
  return fc.oneof({ weight: absent, arbitrary: fc.constant<WirePair[]>([]) }, { weight: optional ? 4 : 9, arbitrary: present });
}

/** Names nobody declared, or declared names bent into lists and deep keys. */
function strayPairs(names: readonly string[]): fc.Arbitrary<WirePair[]> {
  const stray = fc.oneof(
    fc.tuple(fc.constantFrom(...names), fc.constantFrom(...ODD_SUFFIXES)).map(([n, s]) => n + s),
    fc.constantFrom('Name.0', 'TaskId.99999999999999999999', 'Tag.1.Key', 'Foo', '', '.', '__proto__', 'constructor.prototype', 'a'.repeat(5000)),
    fc.string({ unit: 'grapheme', maxLength: 12 }),
  );
  return fc.array(fc.tuple(stray, hostileValue).map(([n, v]) => [n, v] as WirePair), { maxLength: 3 });
}

export function signedCaseFor(op: Operation, pools: IdentifierPools): fc.Arbitrary<SignedCase> {
  const kinds = Object.keys(pools.mutable) as IdKind[];
  const ids: IdPool = isReadOnly(op.action)
    ? (Object.fromEntries(kinds.map((k) => [k, [...pools.mutable[k], ...pools.protectedIds[k]]])) as unknown as IdPool)
    : pools.mutable;
  const names = Object.keys(op.params.shape);
  const fieldsIn = (mode: Mode) => fc.tuple(...names.map((name) => fieldPairs(name, op.params.shape[name] as z.ZodType, ids, mode)));
  return fc
    .record({
      fields: fc.oneof({ weight: 1, arbitrary: fieldsIn('clean') }, { weight: 2, arbitrary: fieldsIn('hostile') }),
      stray: fc.oneof({ weight: 4, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: strayPairs(names) }),
      // Duplicate keys: index into the pairs, new value, before or after the original.
      dupes: fc.oneof({ weight: 4, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(fc.tuple(fc.nat(), hostileValue, fc.boolean()), { maxLength: 2 }) }),
      format: fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 3, arbitrary: fc.constantFrom('JSON', 'XML') }, { weight: 1, arbitrary: fc.constantFrom(...FORMATS) }),
      shuffle: fc.boolean(),
      scheme: fc.constantFrom('v3' as const, 'rpc' as const),
      method: fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...op.methods) }, { weight: 1, arbitrary: fc.constantFrom('GET' as const, 'POST' as const) }),
      inBody: fc.boolean(),
      bareEmpty: fc.boolean(),
      plusForSpace: fc.boolean(),
      action: fc.oneof({ weight: 30, arbitrary: fc.constant(op.action) }, { weight: 1, arbitrary: fc.constantFrom(op.action.toLowerCase(), `${op.action}x`, 'NoSuchAction', '') }),
    })
    .map((r) => {
      let params: WirePair[] = [...r.fields.flat(), ...r.stray];
      if (r.shuffle) params = params.map((p, i) => [i * 7919 % (params.length + 1), p] as const).sort((a, b) => a[0] - b[0]).map(([, p]) => p);
      for (const [at, value, before] of r.dupes) {
        const original = params[at % Math.max(1, params.length)];
        if (original === undefined) continue;
        if (before) params.unshift([original[0], value]);
        else params.push([original[0], value]);
      }
      if (r.format !== undefined) params.push(['Format', r.format]);
      return { kind: 'signed' as const, scheme: r.scheme, method: r.method, action: r.action, params, inBody: r.inBody, bareEmpty: r.bareEmpty, plusForSpace: r.plusForSpace };
    });
}
