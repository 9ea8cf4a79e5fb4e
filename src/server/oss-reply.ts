import { randomBytes } from 'node:crypto';
import type { UploadRejectionReason } from '../domain/ota-firmware/upload-service.js';

/**
 * OSS-style answers of the upload endpoint (ota-api §6.3, §6.4): XML errors with `x-oss-request-id`. These
 * codes belong to this endpoint only, not to errors.md.
 */
export type OssErrorCode =
  | 'MalformedPOSTRequest'
  | 'InvalidArgument'
  | 'InvalidAccessKeyId'
  | 'SignatureDoesNotMatch'
  | 'InvalidPolicyDocument'
  | 'AccessDenied'
  | 'EntityTooLarge'
  | 'EntityTooSmall'
  | 'MethodNotAllowed'
  | 'InternalError';

export interface OssError {
  status: number;
  code: OssErrorCode;
  message: string;
}

const statusOf: Record<OssErrorCode, number> = {
  MalformedPOSTRequest: 400,
  InvalidArgument: 400,
  InvalidAccessKeyId: 403,
  SignatureDoesNotMatch: 403,
  InvalidPolicyDocument: 400,
  AccessDenied: 403,
  EntityTooLarge: 400,
  EntityTooSmall: 400,
  MethodNotAllowed: 405,
  InternalError: 500,
};

export function ossError(code: OssErrorCode, message: string): OssError {
  return { status: statusOf[code], code, message };
}

const codeOfReason: Record<UploadRejectionReason, OssErrorCode> = {
  'unknown-key-id': 'InvalidAccessKeyId',
  'bad-signature': 'SignatureDoesNotMatch',
  'unreadable-policy': 'InvalidPolicyDocument',
  expired: 'AccessDenied',
  'condition-failed': 'AccessDenied',
  'no-slot': 'AccessDenied',
  // unconfirmed: OSS would overwrite; Flotilla never changes the bytes of a registered firmware.
  'object-in-use': 'AccessDenied',
  'too-large': 'EntityTooLarge',
  'too-small': 'EntityTooSmall',
};

export function ossErrorOfRejection(reason: UploadRejectionReason, message: string): OssError {
  return ossError(codeOfReason[reason], message);
}

export const ossMessages = {
  malformed: 'The body of your POST request is not well-formed multipart/form-data.',
  // OSS's wording for a missing form field (its error pages 0002-00000702/703); exact codes unconfirmed.
  missingField: (name: string) => `Bucket POST must contain a field named '${name}'. If it is specified, please check the order of the fields.`,
  tooLarge: 'Your proposed upload exceeds the maximum allowed size.',
  methodNotAllowed: 'The specified method is not allowed against this resource.',
  internal: 'We encountered an internal error. Please try again.',
} as const;

/** OSS request ids are 24 upper-case hex characters. */
export function ossRequestId(): string {
  return randomBytes(12).toString('hex').toUpperCase();
}

export function errorXml(error: OssError, requestId: string, hostId: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error>\n' +
    `  <Code>${error.code}</Code>\n  <Message>${escapeXml(error.message)}</Message>\n` +
    `  <RequestId>${requestId}</RequestId>\n  <HostId>${escapeXml(hostId)}</HostId>\n</Error>\n`
  );
}

/** The 201 answer (ota-api §6.3). The bucket name is Flotilla's own (unconfirmed; OSS names the bucket). */
export function postResponseXml(input: { host: string; key: string; etag: string }): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n<PostResponse>' +
    `<Bucket>flotilla</Bucket><Location>${escapeXml(`${input.host}/${input.key}`)}</Location>` +
    `<Key>${escapeXml(input.key)}</Key><ETag>${escapeXml(input.etag)}</ETag></PostResponse>\n`
  );
}

/** Text content only (no attributes are written), so quotes stay as they are: `<ETag>"…"</ETag>` like OSS. */
function escapeXml(value: string): string {
  return value.replace(/[<>&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c]!);
}
