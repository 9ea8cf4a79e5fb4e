import type { Logger } from 'pino';
import { BusinessError, type BusinessCode } from '../../../domain/errors.js';

/**
 * fleet-api §4.4–§4.7: an unexpected (storage) failure answers the operation's own code
 * (`iot.device.ApplyManyDevicesFailed`, `iot.device.QueryDeviceApplyActionError`) instead of
 * iot.system.SystemException; the cause is logged here because the envelope sees only the code.
 */
export async function withFailureCode<T>(code: BusinessCode, log: Logger, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof BusinessError) throw err;
    log.error({ err }, 'unexpected error in a batch-registration operation');
    throw new BusinessError(code);
  }
}
