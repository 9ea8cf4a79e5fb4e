import type { AccountService } from './account/account-service.js';
import type { BatchRegistrationService } from './device/batch-registration-service.js';
import type { DeviceService } from './device/device-service.js';
import type { DevicePropService } from './device/device-prop-service.js';
import type { DynamicRegistrationService } from './device/dynamic-registration-service.js';
import type { GroupService } from './group/group-service.js';
import type { FirmwareService } from './ota-firmware/firmware-service.js';
import type { UploadService } from './ota-firmware/upload-service.js';
import type { OtaModuleService } from './ota-module/ota-module-service.js';
import type { ProductService } from './product/product-service.js';

/** Every domain service an operation handler may call; built once in main.ts. */
export interface Services {
  readonly accounts: AccountService;
  readonly products: ProductService;
  readonly devices: DeviceService;
  readonly batchRegistration: BatchRegistrationService;
  readonly groups: GroupService;
  readonly deviceProps: DevicePropService;
  readonly otaModules: OtaModuleService;
  readonly uploads: UploadService;
  readonly firmware: FirmwareService;
  readonly dynamicRegistration: DynamicRegistrationService;
}
