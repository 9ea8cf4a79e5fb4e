import type { Logger } from 'pino';
import { type BusinessCode, BusinessError } from '../../domain/errors.js';

/**
 * Runs an operation's domain call and answers an unexpected (storage) failure with the operation's own
 * code instead of iot.system.SystemException, as the operation pages list them (e.g. fleet-api §5.1
 * `iot.common.QueryDeviceActionError`). Business errors pass through; the cause is logged.
 */
export async function withFailureCode<T>(code: BusinessCode, log: Logger, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof BusinessError) throw err;
    log.error({ err, code }, 'storage failure in operation');
    throw new BusinessError(code);
  }
}
