/**
 * Gateway-layer failures (rpc-protocol §9.3, errors.md §2): HTTP 4xx/5xx with Code/Message. They exist only
 * in api/rpc; the domain speaks BusinessError.
 */
export class GatewayError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'GatewayError';
  }
}

export const gatewayErrors = {
  apiNotFound: () => new GatewayError('InvalidApi.NotFound', 404, 'Specified api is not found, please check your url and method.'),
  // errors.md §2: code and wording unconfirmed.
  invalidVersion: () => new GatewayError('InvalidVersion', 400, 'Specified parameter Version is not valid.'),
  missing: (name: string) => new GatewayError(`Missing${name}`, 400, `${name} is mandatory for this action.`),
  invalidParameter: (name: string) => new GatewayError('InvalidParameter', 400, `Specified parameter ${name} is not valid.`),
  invalidFormat: () => new GatewayError('InvalidParameter.Format', 400, 'Specified parameter format is not valid.'),
  keyNotFound: () => new GatewayError('InvalidAccessKeyId.NotFound', 404, 'Specified access key is not found.'),
  keyInactive: () => new GatewayError('InvalidAccessKeyId.Inactive', 400, 'Specified access key is disabled.'),
  timestampFormat: () =>
    new GatewayError('InvalidTimeStamp.Format', 400, 'Specified time stamp or date value is not well formatted.'),
  timestampExpired: () => new GatewayError('InvalidTimeStamp.Expired', 400, 'Specified time stamp or date value is expired.'),
  nonceUsed: () => new GatewayError('SignatureNonceUsed', 400, 'Specified signature nonce was used already.'),
  signatureMethod: () => new GatewayError('InvalidSignatureMethod', 400, 'Specified signature method is not valid.'),
  signatureMismatch: () =>
    new GatewayError('SignatureDoesNotMatch', 400, 'Specified signature is not matched with our calculation.'),
  incompleteSignature: () =>
    new GatewayError('IncompleteSignature', 400, 'The request signature does not conform to Aliyun standards.'),
  // rpc-protocol §2: Flotilla has no STS; the code is unconfirmed, POP's STS family is the closest.
  securityToken: () =>
    new GatewayError('InvalidSecurityToken.Malformed', 400, 'Security tokens (STS) are not supported by this service.'),
  unsupportedMethod: () => new GatewayError('UnsupportedHTTPMethod', 400, 'This http method not supported.'),
  throttlingApi: () => new GatewayError('Throttling.Api', 400, 'Request was denied due to api flow control.'),
  // Not in errors.md: Alibaba's gateway answers oversized bodies at its proxy; this is the closest code.
  bodyTooLarge: (limitBytes: number) =>
    new GatewayError('InvalidParameter', 400, `The request body exceeds the limit of ${limitBytes} bytes.`),
  internal: () => new GatewayError('InternalError', 500, 'The request processing has failed due to some unknown error.'),
  unavailable: () =>
    new GatewayError('ServiceUnavailable', 503, 'The request has failed due to a temporary failure of the server.'),
};
