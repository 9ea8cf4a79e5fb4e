import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { decodeParams } from '../../../src/api/rpc/decode-params.js';
import { GatewayError } from '../../../src/api/rpc/gateway-error.js';
import { boolean, integer, repeatList, repeatObjects, text } from '../../../src/api/rpc/operation.js';

const schema = z.object({
  ProductKey: text(),
  PageSize: integer().optional(),
  NeedPush: boolean().optional(),
  TaskId: repeatList(text()).optional(),
  Tag: repeatObjects({ Key: text(), Value: text() }).optional(),
});

function decode(pairs: Record<string, string>) {
  return decodeParams<z.output<typeof schema>>(schema, new Map(Object.entries(pairs)));
}

function gatewayCode(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof GatewayError) return `${err.code}: ${err.message}`;
    throw err;
  }
  return 'no error';
}

describe('parameter decoding (rpc-protocol §3.1)', () => {
  it('reads scalars, integers and booleans from text', () => {
    expect(decode({ ProductKey: 'a1B', PageSize: '20', NeedPush: 'TRUE' })).toEqual({ ProductKey: 'a1B', PageSize: 20, NeedPush: true });
  });

  it('keeps an empty value for the operation to judge', () => {
    expect(decode({ ProductKey: '' }).ProductKey).toBe('');
  });

  it('orders repeat lists numerically and ignores gaps', () => {
    expect(decode({ ProductKey: 'k', 'TaskId.10': 'c', 'TaskId.2': 'b', 'TaskId.1': 'a' }).TaskId).toEqual(['a', 'b', 'c']);
    expect(decode({ ProductKey: 'k', 'TaskId.1': 'a', 'TaskId.3': 'c' }).TaskId).toEqual(['a', 'c']);
  });

  it('builds lists of objects', () => {
    expect(decode({ ProductKey: 'k', 'Tag.2.Key': 'k2', 'Tag.2.Value': 'v2', 'Tag.1.Key': 'k1', 'Tag.1.Value': 'v1' }).Tag).toEqual([
      { Key: 'k1', Value: 'v1' },
      { Key: 'k2', Value: 'v2' },
    ]);
  });

  it('handles huge indexes without overflow', () => {
    const big = '9'.repeat(40);
    expect(decode({ ProductKey: 'k', [`TaskId.${big}`]: 'z', 'TaskId.5': 'a' }).TaskId).toEqual(['a', 'z']);
  });

  it('answers Missing{Name} for an absent required parameter', () => {
    expect(gatewayCode(() => decode({}))).toBe('MissingProductKey: ProductKey is mandatory for this action.');
  });

  it('answers InvalidParameter for values of the wrong type', () => {
    expect(gatewayCode(() => decode({ ProductKey: 'k', PageSize: 'ten' }))).toBe('InvalidParameter: Specified parameter PageSize is not valid.');
    expect(gatewayCode(() => decode({ ProductKey: 'k', PageSize: '1e309' }))).toMatch(/^InvalidParameter/);
    expect(gatewayCode(() => decode({ ProductKey: 'k', PageSize: '9999999999999999999999' }))).toMatch(/^InvalidParameter/);
    expect(gatewayCode(() => decode({ ProductKey: 'k', NeedPush: 'yes' }))).toMatch(/^InvalidParameter/);
  });

  it('rejects index 0, leading zeros and mixed scalar/object elements', () => {
    expect(gatewayCode(() => decode({ ProductKey: 'k', 'TaskId.0': 'a' }))).toBe('InvalidParameter: Specified parameter TaskId is not valid.');
    expect(gatewayCode(() => decode({ ProductKey: 'k', 'TaskId.01': 'a' }))).toMatch(/^InvalidParameter/);
    expect(gatewayCode(() => decode({ ProductKey: 'k', 'Tag.1': 'x', 'Tag.1.Key': 'y' }))).toMatch(/^InvalidParameter/);
    expect(gatewayCode(() => decode({ ProductKey: 'k', 'Tag.1.Key': 'only-key' }))).toMatch(/^InvalidParameter/);
  });

  it('ignores undeclared names, also prototype-like ones', () => {
    const out = decode({ ProductKey: 'k', __proto__x: 'a', 'constructor.1': 'b', Unknown: 'c' } as Record<string, string>);
    expect(out).toEqual({ ProductKey: 'k' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
