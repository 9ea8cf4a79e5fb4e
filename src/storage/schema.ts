/**
 * Row types of every table, as Kysely sees them. Columns are snake_case; times are epoch milliseconds
 * (bigint on PostgreSQL, integer on SQLite), flags are 0/1 integers on both, so rows read alike.
 */
export interface AccountTable {
  id: string;
  name: string;
  status: 'Active' | 'Inactive';
  created_at: number;
}

export interface AccessKeyTable {
  access_key_id: string;
  account_id: string;
  secret_enc: string;
  status: 'Active' | 'Inactive';
  created_at: number;
}

export interface IotInstanceTable {
  id: string;
  account_id: string;
  instance_id: string;
  is_default: number;
  created_at: number;
}

export interface ApiNonceTable {
  access_key_id: string;
  nonce: string;
  expires_at: number;
}

export interface IdSequenceTable {
  name: string;
  value: number;
}

export interface ProductTable {
  id: string;
  account_id: string;
  instance_id: string;
  product_key: string;
  product_name: string;
  product_secret_enc: string;
  node_type: number;
  data_format: number;
  auth_type: string;
  id2: number;
  net_type: string;
  validate_type: number;
  commodity_code: string;
  description: string | null;
  protocol_type: string | null;
  category_key: string | null;
  product_status: string;
  dynamic_register: number;
  created_at: number;
  modified_at: number;
  deleted_at: number | null;
}

export interface DeviceTable {
  id: string;
  iot_id: string;
  account_id: string;
  instance_id: string;
  product_id: string;
  device_name: string;
  device_secret_enc: string;
  nickname: string | null;
  status: 'UNACTIVE' | 'ONLINE' | 'OFFLINE' | 'DISABLE';
  status_at: number;
  created_at: number;
  modified_at: number;
  activated_at: number | null;
  online_at: number | null;
  ip_address: string | null;
  deleted_at: number | null;
}

export interface DeviceModuleVersionTable {
  device_id: string;
  module_name: string;
  version: string;
  reported_at: number;
}

export interface DeviceGroupTable {
  group_id: string;
  account_id: string;
  instance_id: string;
  group_name: string;
  group_desc: string | null;
  parent_group_id: string | null;
  depth: number;
  created_at: number;
  modified_at: number;
}

export interface DeviceGroupMemberTable {
  group_id: string;
  device_id: string;
  created_at: number;
}

export interface DevicePropTable {
  device_id: string;
  prop_key: string;
  prop_value: string;
  created_at: number;
}

export interface DeviceApplyTable {
  apply_id: number;
  account_id: string;
  instance_id: string;
  product_id: string;
  kind: 'NAMES' | 'COUNT';
  status: 'CHECK' | 'CHECK_SUCCESS' | 'CHECK_FAILED' | 'CREATE' | 'CREATE_SUCCESS' | 'CREATE_FAILED';
  created_at: number;
  modified_at: number;
}

export interface DeviceApplyEntryTable {
  apply_id: number;
  seq: number;
  device_name: string;
  nickname: string | null;
  error_msg: string | null;
  device_id: string | null;
}

export interface UploadSlotTable {
  key_prefix: string;
  object_key: string;
  account_id: string;
  instance_id: string;
  kind: 'firmware' | 'dnlist';
  max_bytes: number;
  expires_at: number;
  created_at: number;
}

export interface StoredObjectTable {
  id: string;
  object_key: string;
  account_id: string;
  instance_id: string;
  kind: 'firmware' | 'dnlist';
  blob_id: string;
  size: number;
  md5: string;
  sha256: string;
  content_type: string | null;
  uploaded_at: number;
  /** The firmware (or job) that uses the object; unclaimed objects are purged after 60 minutes. */
  claimed_by: string | null;
  claimed_at: number | null;
}

export interface OtaModuleTable {
  id: string;
  product_id: string;
  module_name: string;
  module_name_folded: string;
  alias_name: string | null;
  description: string | null;
  created_at: number;
  modified_at: number;
}

export interface FirmwareTable {
  firmware_id: string;
  account_id: string;
  instance_id: string;
  product_id: string | null;
  module_name: string;
  firmware_name: string;
  firmware_desc: string | null;
  type: number;
  src_version: string | null;
  dest_version: string;
  sign_method: 'MD5' | 'SHA256';
  status: number;
  verify_progress: number;
  udi: string | null;
  multi_file: number;
  created_at: number;
  modified_at: number;
}

export interface FirmwareFileTable {
  firmware_id: string;
  seq: number;
  file_id: string;
  name: string | null;
  object_id: string;
  size: number;
  sign_value: string;
  file_md5: string;
  sha256: string;
}

export interface DeviceOtaProgressTable {
  device_id: string;
  module_name: string;
  step: number;
  description: string | null;
  reported_at: number;
}

export interface FileStreamTable {
  stream_id: number;
  device_id: string;
  file_id: string;
  created_at: number;
  expires_at: number;
}

/** states.md §4.1 */
export type OtaTaskStatus = 'CONFIRM' | 'QUEUED' | 'NOTIFIED' | 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED' | 'CANCELED';
/** states.md §3 */
export type OtaJobStatus = 'PLANNED' | 'IN_PROGRESS' | 'COMPLETED' | 'CANCELED';

/** One OTA job (batch); column meanings in migrations/0004_rollout.ts. */
export interface OtaJobTable {
  id: string;
  account_id: string;
  instance_id: string;
  firmware_id: string;
  product_id: string;
  module_name: string;
  dest_version: string;
  job_type: 'VERIFY_FIRMWARE' | 'UPGRADE_FIRMWARE';
  selection_type: 'STATIC' | 'DYNAMIC';
  target_selection: 'ALL' | 'SPECIFIC' | 'GRAY' | 'GROUP';
  gray_percent: string | null;
  src_versions: string | null;
  group_id: string | null;
  group_type: string | null;
  dn_list_object_id: string | null;
  schedule_at: number | null;
  schedule_finish_at: number | null;
  retry_interval: number | null;
  retry_count: number | null;
  timeout_minutes: number | null;
  max_per_minute: number;
  overwrite_mode: number;
  multi_module: number;
  need_push: number;
  need_confirm: number;
  download_protocol: 'HTTPS' | 'MQTT';
  dynamic_mode: number | null;
  tags: string | null;
  status: OtaJobStatus;
  started_at: number | null;
  ended_at: number | null;
  created_at: number;
  modified_at: number;
  tasks_complete: number;
  fill_cursor: string | null;
  pace_tat_us: number | null;
  count_confirm: number;
  count_queued: number;
  count_notified: number;
  count_in_progress: number;
  count_succeeded: number;
  count_failed: number;
  count_canceled: number;
}

/** One device × job. */
export interface OtaTaskTable {
  id: string;
  job_id: string;
  firmware_id: string;
  device_id: string;
  module_name: string;
  src_version: string | null;
  dest_version: string;
  status: OtaTaskStatus;
  prev_status: OtaTaskStatus | null;
  created_status: OtaTaskStatus;
  progress: number;
  task_desc: string;
  timeout_minutes: number | null;
  first_progress_at: number | null;
  timeout_at: number | null;
  retry_limit: number;
  retry_interval_ms: number;
  retry_count: number;
  retry_pending: number;
  retry_due_at: number | null;
  repush_due: number;
  push_count: number;
  last_push_at: number | null;
  history_seq: number;
  created_at: number;
  modified_at: number;
}

export interface OtaTaskHistoryTable {
  task_id: string;
  seq: number;
  from_status: OtaTaskStatus;
  to_status: OtaTaskStatus;
  event: string;
  rule: string;
  at: number;
  detail: string | null;
}

export interface Database {
  account: AccountTable;
  access_key: AccessKeyTable;
  iot_instance: IotInstanceTable;
  api_nonce: ApiNonceTable;
  id_sequence: IdSequenceTable;
  product: ProductTable;
  device: DeviceTable;
  device_module_version: DeviceModuleVersionTable;
  device_group: DeviceGroupTable;
  device_group_member: DeviceGroupMemberTable;
  device_prop: DevicePropTable;
  device_apply: DeviceApplyTable;
  device_apply_entry: DeviceApplyEntryTable;
  upload_slot: UploadSlotTable;
  stored_object: StoredObjectTable;
  ota_module: OtaModuleTable;
  firmware: FirmwareTable;
  firmware_file: FirmwareFileTable;
  device_ota_progress: DeviceOtaProgressTable;
  file_stream: FileStreamTable;
  ota_job: OtaJobTable;
  ota_task: OtaTaskTable;
  ota_task_history: OtaTaskHistoryTable;
}
