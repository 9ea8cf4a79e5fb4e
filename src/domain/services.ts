import type { AccountService } from './account/account-service.js';
import type { DeviceService } from './device/device-service.js';
import type { ProductService } from './product/product-service.js';

/** Every domain service an operation handler may call; built once in main.ts. */
export interface Services {
  readonly accounts: AccountService;
  readonly products: ProductService;
  readonly devices: DeviceService;
}
