import type { Operation } from '../rpc/operation.js';
import { batchGetDeviceState } from './device/batch-get-device-state.js';
import { batchQueryDeviceDetail } from './device/batch-query-device-detail.js';
import { deleteDevice } from './device/delete-device.js';
import { disableThing } from './device/disable-thing.js';
import { enableThing } from './device/enable-thing.js';
import { getDeviceStatus } from './device/get-device-status.js';
import { queryDevice } from './device/query-device.js';
import { queryDeviceByStatus } from './device/query-device-by-status.js';
import { queryDeviceDetail } from './device/query-device-detail.js';
import { queryDeviceInfo } from './device/query-device-info.js';
import { registerDevice } from './device/register-device.js';
import { batchCheckDeviceNames } from './device-apply/batch-check-device-names.js';
import { batchRegisterDevice } from './device-apply/batch-register-device.js';
import { batchRegisterDeviceWithApplyId } from './device-apply/batch-register-device-with-apply-id.js';
import { queryBatchRegisterDeviceStatus } from './device-apply/query-batch-register-device-status.js';
import { queryPageByApplyId } from './device-apply/query-page-by-apply-id.js';
import { deleteDeviceProp } from './device-prop/delete-device-prop.js';
import { queryDeviceProp } from './device-prop/query-device-prop.js';
import { saveDeviceProp } from './device-prop/save-device-prop.js';
import { batchAddDeviceGroupRelations } from './group/batch-add-device-group-relations.js';
import { batchDeleteDeviceGroupRelations } from './group/batch-delete-device-group-relations.js';
import { createDeviceGroup } from './group/create-device-group.js';
import { deleteDeviceGroup } from './group/delete-device-group.js';
import { queryDeviceGroupByDevice } from './group/query-device-group-by-device.js';
import { queryDeviceGroupInfo } from './group/query-device-group-info.js';
import { queryDeviceGroupList } from './group/query-device-group-list.js';
import { queryDeviceListByDeviceGroup } from './group/query-device-list-by-device-group.js';
import { updateDeviceGroup } from './group/update-device-group.js';
import { createOtaFirmware } from './ota-firmware/create-ota-firmware.js';
import { deleteOtaFirmware } from './ota-firmware/delete-ota-firmware.js';
import { generateDeviceNameListUrl } from './ota-firmware/generate-device-name-list-url.js';
import { generateOtaUploadUrl } from './ota-firmware/generate-ota-upload-url.js';
import { listOtaFirmware } from './ota-firmware/list-ota-firmware.js';
import { queryOtaFirmware } from './ota-firmware/query-ota-firmware.js';
import { createOtaModule } from './ota-module/create-ota-module.js';
import { deleteOtaModule } from './ota-module/delete-ota-module.js';
import { listOtaModuleByProduct } from './ota-module/list-ota-module-by-product.js';
import { listOtaModuleVersionsByDevice } from './ota-module/list-ota-module-versions-by-device.js';
import { updateOtaModule } from './ota-module/update-ota-module.js';
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
  // batch registration (fleet-api §4.2–§4.7)
  batchCheckDeviceNames,
  batchRegisterDeviceWithApplyId,
  batchRegisterDevice,
  queryBatchRegisterDeviceStatus,
  queryPageByApplyId,
  queryDeviceDetail,
  queryDeviceInfo,
  queryDevice,
  batchQueryDeviceDetail,
  getDeviceStatus,
  batchGetDeviceState,
  queryDeviceByStatus,
  disableThing,
  enableThing,
  deleteDevice,
  // static device groups (fleet-api §7)
  createDeviceGroup,
  updateDeviceGroup,
  deleteDeviceGroup,
  queryDeviceGroupList,
  queryDeviceGroupInfo,
  batchAddDeviceGroupRelations,
  batchDeleteDeviceGroupRelations,
  queryDeviceListByDeviceGroup,
  queryDeviceGroupByDevice,
  // device tags (fleet-api §9)
  saveDeviceProp,
  queryDeviceProp,
  deleteDeviceProp,
  // firmware and uploads (ota-api §2, fleet-api §8)
  generateOtaUploadUrl,
  generateDeviceNameListUrl,
  createOtaFirmware,
  queryOtaFirmware,
  listOtaFirmware,
  deleteOtaFirmware,
  // OTA modules (ota-api §5)
  createOtaModule,
  updateOtaModule,
  deleteOtaModule,
  listOtaModuleByProduct,
  listOtaModuleVersionsByDevice,
];
