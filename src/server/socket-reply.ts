import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { gatewayFailure } from '../api/rpc/envelope.js';
import { GatewayError, gatewayErrors } from '../api/rpc/gateway-error.js';
import { idFormats } from '../security/random-ids.js';

/**
 * Answers on a bare socket, for requests Node's HTTP layer refuses before Fastify sees them (malformed
 * framing, an unknown method, CONNECT). rpc-protocol §9.3: even these get the JSON gateway envelope with a
 * RequestId, never Node's or Fastify's own body, so every client can read the failure. Closes the socket.
 */
export function replyOnSocket(socket: Duplex, err: GatewayError, hostId = 'localhost'): void {
  if (socket.destroyed) return;
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const answer = gatewayFailure('JSON', idFormats.requestId(), hostId, err);
  const body = Buffer.from(answer.body, 'utf8');
  const head =
    `HTTP/1.1 ${err.status} ${STATUS_CODES[err.status] ?? 'Error'}\r\n` +
    `content-type: ${answer.contentType}\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n`;
  // Nobody parses this socket any more: drain what the client still sends (a CONNECT or a broken request may
  // carry a body) so its close is seen, and give up on clients that never close. Without this a CONNECT
  // with a body left the socket open for good, and server.close() waited for it.
  socket.on('error', () => socket.destroy());
  (socket as Duplex & Partial<Pick<Socket, 'setTimeout'>>).setTimeout?.(DRAIN_TIMEOUT_MS, () => socket.destroy());
  socket.resume();
  socket.end(Buffer.concat([Buffer.from(head, 'latin1'), body]));
}

const DRAIN_TIMEOUT_MS = 5_000;

/**
 * Node's `clientError`: the request could not be parsed. Node's own statuses are kept (408 for a request
 * that did not arrive in time, 431 for oversized headers, else 400); the code is InvalidParameter, the
 * nearest in errors.md §2 (unconfirmed: Alibaba's gateway answers these at its proxy).
 */
export function clientErrorReply(err: Error & { code?: string }, socket: Duplex): void {
  // A reset connection has nobody left to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
  const message =
    status === 408 ? 'The request was not received in time.' : status === 431 ? 'The request headers are too large.' : 'The request is not well-formed HTTP.';
  replyOnSocket(socket, new GatewayError('InvalidParameter', status, message));
}

/** Node's `connect` (a CONNECT request): Flotilla is no proxy (rpc-protocol §1: GET and POST only). */
export function connectReply(hostHeader: string | undefined, socket: Duplex): void {
  replyOnSocket(socket, gatewayErrors.unsupportedMethod(), hostHeader ?? 'localhost');
}
