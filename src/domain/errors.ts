/**
 * The one domain error type. Its code is data, spelled exactly as in shared/spec/errors.md (and the
 * iot.group.* codes of fleet-api §12, which the spec README declares valid). Business failures travel as
 * HTTP 200 with Success: false (rpc-protocol §9.3).
 */
const messages = {
  'iot.system.SystemException': 'An internal error occurred. Try again later.',
  'iot.system.InstanceNotFound': 'The specified instance does not exist.',
  'iot.system.IllegalRequest': 'The request parameter is invalid.',
  'iot.common.InvalidPageParams': 'The specified pagination size or pagination parameter is invalid.',
  'iot.common.QueryDeviceActionError': 'Failed to query the device.',
  'iot.common.QueryProductActionError': 'Failed to query the product.',
  'iot.common.QueryDevicePropertyActionError': 'Failed to query the device properties.',
  'iot.common.InvalidFormattedParameter': 'The parameter format is invalid.',
  'iot.check.NullParameter': 'The parameter is null.',
  'iot.prod.NullProductKey': 'The productKey is empty.',
  'iot.prod.InvalidFormattedProductkey': 'The ProductKey format is invalid.',
  'iot.prod.NotExistedProduct': 'The specified product does not exist.',
  'iot.prod.AlreadyExistedProductName': 'The product name already exists.',
  'iot.prod.CreateProductFailed': 'Failed to create the product.',
  'iot.prod.InvalidAliyunCommodityCode': 'The AliyunCommodityCode must be iothub_senior or iothub.',
  'iot.prod.InvalidFormattedProductName': 'The product name format is invalid.',
  'iot.prod.LongProductDesc': 'The product description exceeds 100 characters.',
  'iot.prod.InvalidNodeType': 'The node type is invalid.',
  'iot.prod.InvalidProductAuthType': 'The authentication type of the product is invalid.',
  'iot.prod.NotOpenID2Service': 'The ID2 service is not activated.',
  'iot.prod.NullProductName': 'The product name is empty.',
  'iot.prod.ProductCountExceedMax': 'The number of products exceeds the limit.',
  'iot.prod.QueryProductListActionError': 'Failed to query the product list.',
  'iot.prod.UpdateProductFailed': 'Failed to update the product.',
  'iot.device.NotExistedDevice': 'The device does not exist.',
  'iot.device.NullDeviceName': 'The DeviceName parameter cannot be empty.',
  'iot.device.InvalidFormattedDeviceName': 'The DeviceName format is invalid.',
  'iot.device.InvalidFormattedDeviceNameInNameArray': 'The deviceName list contains an invalid device name.',
  'iot.device.NoneDeviceNameElement': 'The DeviceName list is empty.',
  'iot.device.TooManyDeviceNamesPerRequest': 'The devices you query exceed the maximum number.',
  'iot.device.InvalidIoTId': 'The specified device ID is invalid.',
  'iot.device.AlreadyExistedDeviceName': 'The DeviceName already exists.',
  'iot.device.CreateDeviceFailed': 'Failed to create the device.',
  'iot.device.ApplyManyDevicesFailed': 'Failed to create the devices.',
  'iot.device.CreateDeviceTaskIsRunning': 'A device creation task is still running.',
  'iot.device.DeviceApplyIsNotFound': 'The device application does not exist.',
  'iot.device.InvalidFormattedApplyId': 'The ApplyId format is invalid.',
  'iot.device.NullApplyId': 'The ApplyId is empty.',
  'iot.device.IncorrentDeviceApplyInfo': 'The device application information is incorrect.',
  'iot.device.QueryDeviceApplyActionError': 'Failed to query the device application.',
  'iot.device.DeviceCountExceeded': 'The number of devices exceeds the limit.',
  'iot.device.DeleteDeviceFailed': 'Failed to delete the device.',
  'iot.device.DisableDeviceFailed': 'Failed to disable the device.',
  'iot.device.EnableDeviceFailed': 'Failed to enable the device.',
  'iot.device.QueryDeviceListActionError': 'Failed to query the device list.',
  'iot.device.QueryDeviceStatusFailed': 'Failed to query the device status.',
  'iot.device.InvalidFormattedDevicePropertyKey': 'The device tag key format is invalid.',
  'iot.device.InvalidFormattedDevicePropertiesString': 'The device tags must be a JSON object of string values.',
  'iot.device.LongDevicePropertiesString': 'The device tags exceed 5 KB.',
  'iot.device.NoneDeviceProperties': 'No device tag is given.',
  'iot.device.NullDevicePropertyKey': 'The device tag key is empty.',
  'iot.device.NullDevicePropertiesString': 'The device tags are empty.',
  'iot.device.TooManyDevicePropertiesPerTime': 'Too many device tags.',
  'iot.device.SaveOrUpdateDevicePropertiesFailed': 'Failed to save the device tags.',
  'iot.device.DeleteDevicePropertyFailed': 'Failed to delete the device tag.',
  'iot.group.NotExistedGroup': 'The specified device group does not exist.',
  'iot.group.NullGroupId': 'You must specify the device group ID.',
  'iot.group.InvalidGroupName': 'The specified device group name is invalid.',
  'iot.group.GroupNameExisted': 'The specified device group name already exists.',
  'iot.group.LongGroupDescError': 'The group description exceeds the length limit.',
  'iot.group.GroupCountExceedMax': 'The number of device groups exceeds the limit.',
  'iot.group.SuperGroupUnsupport': 'The super groups do not support subGroups.',
  'iot.group.CreateGroupFailed': 'An error occurred while creating a device group.',
  'iot.group.DeleteGroupFailed': 'An error occurred while deleting the device group.',
  'iot.group.QueryGroupInfoFailed': 'An error occurred while querying the device group details.',
  'iot.ota.EmptyDeviceInfoParams': 'the device info in params is empty',
  'iot.ota.NullOtaModuleName': 'the module name can not be empty.',
  'iot.ota.InvalidOtaModuleName': 'the format of module name is invalid.',
  'iot.ota.FirmwareNotFound': 'The specified firmware does not exist.',
  'iot.firmware.AlreadyExistedFirmwareName': 'The OTA update package already exists.',
  'iot.firmware.IncorrectFormattedFirmwareName': 'The format of the OTA update package name is invalid.',
  'iot.firmware.FirmwareDescExceedLimit': 'The description of the firmware is longer than the limit.',
  'iot.firmware.FirmwareUdiExceedLimit': 'The UDI of the firmware is longer than the limit.',
} as const;

export type BusinessCode = keyof typeof messages;
export const businessCodes = Object.keys(messages) as BusinessCode[];

export class BusinessError extends Error {
  constructor(
    readonly code: BusinessCode,
    message: string = messages[code],
  ) {
    super(message);
    this.name = 'BusinessError';
  }
}
