import type { DeviceApplyRow } from '../../storage/repos/device-apply-repo.js';

export type ApplyStatus = DeviceApplyRow['status'];

/**
 * states.md §6, the batch-registration application. A1 (BatchCheckDeviceNames) and A5
 * (BatchRegisterDevice) open an application in `CHECK` / `CREATE`; every later move is one of these,
 * applied as a guarded update. `CHECK_FAILED`, `CREATE_SUCCESS` and `CREATE_FAILED` are final (I16).
 */
export const applyTransitions = {
  checkPassed: { from: ['CHECK'], to: 'CHECK_SUCCESS' }, // A2
  checkFailed: { from: ['CHECK'], to: 'CHECK_FAILED' }, // A3
  startCreate: { from: ['CHECK_SUCCESS'], to: 'CREATE' }, // A4
  created: { from: ['CREATE'], to: 'CREATE_SUCCESS' }, // A6
  partlyCreated: { from: ['CREATE'], to: 'CREATE_FAILED' }, // A7
} as const satisfies Record<string, { from: readonly ApplyStatus[]; to: ApplyStatus }>;

export type ApplyTransition = (typeof applyTransitions)[keyof typeof applyTransitions];

/** Still being checked or created (fleet-api §4.4: iot.device.CreateDeviceTaskIsRunning). */
export const runningStatuses: readonly ApplyStatus[] = ['CHECK', 'CREATE'];

/** Creation has ended; BatchRegisterDeviceWithApplyId answers success again and creates nothing (A8). */
export const createdStatuses: readonly ApplyStatus[] = ['CREATE_SUCCESS', 'CREATE_FAILED'];

/** QueryBatchRegisterDeviceStatus fills ValidList / InvalidList only here (states.md §6, SIBLING). */
export const failedStatuses: readonly ApplyStatus[] = ['CHECK_FAILED', 'CREATE_FAILED'];
