import { XMLBuilder } from 'fast-xml-parser';
import type { Logger } from 'pino';
import { BusinessError } from '../../domain/errors.js';
import type { GatewayError } from './gateway-error.js';
import { gatewayErrors } from './gateway-error.js';

export type ReplyFormat = 'JSON' | 'XML';

export interface RpcReply {
  status: number;
  contentType: string;
  body: string;
}

const JSON_TYPE = 'application/json;charset=utf-8';
// rpc-protocol §9.3: the SDK parses an XML error only with exactly this content type.
const XML_TYPE = 'text/xml;charset=utf-8';

const xml = new XMLBuilder({ format: false, suppressEmptyNode: false, processEntities: true });

/**
 * rpc-protocol §9.1: the `Format` parameter (case-insensitive) wins, else `Accept`, else XML.
 * Returns undefined for a `Format` that is neither JSON nor XML.
 */
export function chooseFormat(formatParam: string | undefined, accept: string | undefined): ReplyFormat | undefined {
  if (formatParam !== undefined) {
    const upper = formatParam.toUpperCase();
    return upper === 'JSON' || upper === 'XML' ? upper : undefined;
  }
  const a = (accept ?? '').toLowerCase();
  if (a.includes('json')) return 'JSON';
  if (a.includes('xml')) return 'XML';
  return 'XML';
}

/**
 * rpc-protocol §9.3: gateway errors are JSON unless XML was asked for explicitly (`Format=XML`, or an
 * `Accept` naming XML but not JSON); the XML default of §9.1 rule 3 applies to operation answers only.
 * An unknown `Format` gives JSON here (its own error is InvalidParameter.Format).
 */
export function gatewayFormat(formatParam: string | undefined, accept: string | undefined): ReplyFormat {
  if (formatParam !== undefined) return formatParam.toUpperCase() === 'XML' ? 'XML' : 'JSON';
  const a = (accept ?? '').toLowerCase();
  return a.includes('xml') && !a.includes('json') ? 'XML' : 'JSON';
}

function render(format: ReplyFormat, root: string, fields: Record<string, unknown>, status: number): RpcReply {
  if (format === 'JSON') return { status, contentType: JSON_TYPE, body: JSON.stringify(fields) };
  const body = '<?xml version="1.0" encoding="UTF-8"?>' + xml.build({ [root]: fields });
  return { status, contentType: XML_TYPE, body };
}

/** rpc-protocol §9.2: RequestId, Success: true and the operation's fields; never a Code on success. */
export function success(format: ReplyFormat, action: string, requestId: string, data: Record<string, unknown>): RpcReply {
  return render(format, `${action}Response`, { RequestId: requestId, Success: true, ...data }, 200);
}

/** rpc-protocol §9.3: business failures are HTTP 200 with Success: false. */
export function businessFailure(
  format: ReplyFormat,
  action: string,
  requestId: string,
  err: unknown,
  log: Logger,
): RpcReply {
  const known = err instanceof BusinessError;
  if (!known) log.error({ err, requestId, action }, 'unexpected error in operation');
  const { code, message } = known ? err : new BusinessError('iot.system.SystemException');
  return render(format, `${action}Response`, { RequestId: requestId, Success: false, Code: code, ErrorMessage: message }, 200);
}

/** Gateway failures: JSON unless XML was asked for explicitly (rpc-protocol §9.3). */
export function gatewayFailure(format: ReplyFormat, requestId: string, hostId: string, err: GatewayError): RpcReply {
  const fields = {
    RequestId: requestId,
    HostId: hostId,
    Code: err.code,
    Message: err.message,
    Recommend: `https://api.aliyun.com/troubleshoot?q=${encodeURIComponent(err.code)}`,
  };
  return render(format, 'Error', fields, err.status);
}

export { gatewayErrors };
