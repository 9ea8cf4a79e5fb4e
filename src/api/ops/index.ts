import type { Operation } from '../rpc/operation.js';
import { registerDevice } from './device/register-device.js';
import { createProduct } from './product/create-product.js';
import { deleteProduct } from './product/delete-product.js';
import { queryProduct } from './product/query-product.js';
import { queryProductList } from './product/query-product-list.js';
import { updateProduct } from './product/update-product.js';

/** Every Action Flotilla serves. */
export const operations: readonly Operation[] = [
  // products (fleet-api §3)
  createProduct,
  updateProduct,
  queryProduct,
  queryProductList,
  deleteProduct,
  // devices (fleet-api §4–§6)
  registerDevice,
];
