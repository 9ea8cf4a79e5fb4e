import type { IncomingMessage, Server as HttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer } from 'node:tls';
import { WebSocketServer, createWebSocketStream } from 'ws';

/** Hands a new connection (TCP, TLS or WebSocket stream) to the broker. */
export type ConnectionHandler = (stream: Duplex, req?: IncomingMessage) => void;

export interface Listener {
  readonly port: number;
  close(): Promise<void>;
}

/** MQTT over TCP (FLOTILLA_MQTT_PORT) or, with `tls`, over TLS (FLOTILLA_MQTT_TLS_PORT). */
export async function listen(
  handle: ConnectionHandler,
  options: { host: string; port: number; tls?: { cert: Buffer; key: Buffer } },
): Promise<Listener> {
  // No Nagle: MQTT exchanges small packets both ways (a reply, then a PUBACK); with Nagle and delayed ACKs
  // each request/reply round trip of an MQTT file download waited ~40 ms.
  const server: Server =
    options.tls === undefined
      ? createServer({ noDelay: true }, (socket) => handle(socket))
      : createTlsServer({ ...options.tls, noDelay: true }, (socket) => handle(socket));
  // Aedes closes the clients that completed CONNECT; a socket that never did (or is mid-handshake) would hold
  // server.close() open until Aedes' connect timeout, past the 10 s the start contract allows.
  const sockets = new Set<Socket>();
  server.on(options.tls === undefined ? 'connection' : 'secureConnection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // A failed TLS handshake is the client's problem; without a listener it would be an unhandled error.
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : options.port,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

/**
 * MQTT over WebSocket at `path` of the HTTP server (device-protocol.md §1: the Node SDK in a browser uses
 * `ws://`/`wss://`). Upgrades on other paths are refused.
 */
export function attachWebSocket(httpServer: HttpServer, handle: ConnectionHandler, path: string): { close(): void } {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (new URL(req.url ?? '/', 'http://localhost').pathname !== path) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    // MQTT keep-alive watches the connection from here on, not the HTTP server's idle-socket timeout.
    (socket as Socket).setTimeout?.(0);
    wss.handleUpgrade(req, socket, head, (ws) => {
      const stream = createWebSocketStream(ws);
      stream.on('error', () => ws.terminate());
      handle(stream, req);
    });
  };
  httpServer.on('upgrade', onUpgrade);
  return {
    close() {
      httpServer.off('upgrade', onUpgrade);
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    },
  };
}
