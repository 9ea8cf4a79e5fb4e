import { createServer, type Server, type Socket } from 'node:net';
import { Aedes } from 'aedes';
import type { Logger } from 'pino';

/**
 * The embedded MQTT broker (Aedes) on FLOTILLA_MQTT_PORT. Device sign-in, topic permissions and the OTA
 * topics arrive with the device-gateway issue; until then every CONNECT is refused with return code 5
 * ("not authorized"), so nothing can use the broker without credentials.
 */
export interface MqttBroker {
  readonly port: number;
  isListening(): boolean;
  close(): Promise<void>;
}

export async function startBroker(options: { host: string; port: number; log: Logger }): Promise<MqttBroker> {
  const aedes = await Aedes.createBroker({
    authenticate: (_client, _username, _password, done) => {
      const refusal = Object.assign(new Error('device sign-in is not enabled yet'), { returnCode: 5 });
      done(refusal as Parameters<typeof done>[0], false);
    },
  });
  const server: Server = createServer(aedes.handle);
  // Aedes closes the clients that completed CONNECT; a socket that never did (or is mid-handshake) would
  // hold server.close() open until Aedes' connect timeout, past the 10 s the start contract allows.
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  let listening = true;
  return {
    port,
    isListening: () => listening && server.listening,
    async close() {
      if (!listening) return;
      listening = false;
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
