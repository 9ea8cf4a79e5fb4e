import { z } from 'zod';
import type { Logger } from 'pino';
import type { Scope } from '../../domain/account/account-service.js';
import type { Services } from '../../domain/services.js';

/** What every operation handler receives. `scope` is the caller's account and resolved instance. */
export interface OperationContext<P> {
  readonly params: P;
  readonly scope: Scope;
  readonly accessKeyId: string;
  readonly services: Services;
  readonly settings: OperationSettings;
  readonly requestId: string;
  readonly log: Logger;
}

/** Deployment settings that shape answers. */
export interface OperationSettings {
  /** Offset of the `yyyy-MM-dd HH:mm:ss` "Gmt" fields (fleet-api §1.5). */
  readonly gmtOffsetMinutes: number;
  /** QueryDeviceDetail `Region`. */
  readonly region: string;
}

export type HttpMethod = 'GET' | 'POST';

/** An operation's answer fields, without RequestId and Success (the envelope adds them). */
export type OperationResult = Record<string, unknown>;

export interface Operation<P = unknown> {
  readonly action: string;
  readonly methods: readonly HttpMethod[];
  /** rpc-protocol §9.3: per-account QPS from the operation's page; enforced when FLOTILLA_RATE_LIMITS=on. */
  readonly qps: number;
  /** Largest form body accepted, when above the RPC default (fleet-api §1.1: BatchCheckDeviceNames). */
  readonly maxBodyBytes?: number;
  readonly params: z.ZodObject<z.ZodRawShape>;
  run(ctx: OperationContext<P>): Promise<OperationResult>;
}

/**
 * One declaration per Action: name, methods, QPS, parameter shape, handler. The protocol layer knows
 * nothing about any single operation. `IotInstanceId` and `ResourceGroupId` are accepted everywhere.
 */
export function defineOperation<S extends z.ZodRawShape>(def: {
  action: string;
  methods?: readonly HttpMethod[];
  qps: number;
  maxBodyBytes?: number;
  params: S;
  run(ctx: OperationContext<z.output<z.ZodObject<S & typeof commonParams>>>): Promise<OperationResult>;
}): Operation {
  return {
    action: def.action,
    methods: def.methods ?? ['GET', 'POST'],
    qps: def.qps,
    maxBodyBytes: def.maxBodyBytes,
    params: z.object({ ...commonParams, ...def.params }),
    run: def.run as Operation['run'],
  };
}

const commonParams = {
  IotInstanceId: z.string().optional(),
  // fleet-api §1.1: accepted and ignored.
  ResourceGroupId: z.string().optional(),
};

// Wire types (ota-api §1.5). Values arrive as text; an empty value stays a string so the operation can
// answer its own business code (iot.prod.NullProductKey …) rather than a gateway error.

/** Free text. */
export const text = () => z.string();

/** A decimal integer within the safe range; anything else is InvalidParameter. */
export const integer = () =>
  z
    .string()
    .regex(/^[+-]?\d{1,15}$/)
    .transform((v) => Number(v));

/** `true`/`false`, case-insensitive. */
export const boolean = () =>
  z
    .string()
    .regex(/^(true|false)$/i)
    .transform((v) => v.toLowerCase() === 'true');

/** `Name.N` repeat list; "required" means at least one element. */
export const repeatList = <T extends z.ZodType>(item: T) => z.array(item);

/** `Name.N.Field` repeat list of objects. */
export const repeatObjects = <S extends z.ZodRawShape>(fields: S) => z.array(z.object(fields));
