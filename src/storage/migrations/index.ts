import type { Migration } from 'kysely';
import * as foundation from './0001_foundation.js';
import * as firmware from './0002_firmware.js';
import * as deviceGateway from './0003_device_gateway.js';
import * as rollout from './0004_rollout.js';

/** Every migration, in order. Names never change once merged. */
export const migrations: Record<string, Migration> = {
  '0001_foundation': foundation,
  '0002_firmware': firmware,
  '0003_device_gateway': deviceGateway,
  '0004_rollout': rollout,
};
