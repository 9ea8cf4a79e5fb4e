/**
 * The baseline broker of `bench:connections` and `bench:ingest`: Aedes with no hooks (anyone connects, any
 * topic), on a plain net server, in-memory persistence — what Flotilla's gateway adds is measured against it.
 * Prints `aedes listening on mqtt://127.0.0.1:PORT` once listening.
 */
import { createServer } from 'node:net';
import { Aedes } from 'aedes';

// Same client-id allowance as Flotilla's broker (Alibaba ClientIds are longer than MQTT 3.1's 23 characters).
const aedes = await Aedes.createBroker({ maxClientsIdLength: 1024 });
const server = createServer((socket) => aedes.handle(socket));
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  process.stdout.write(`aedes listening on mqtt://127.0.0.1:${port}\n`);
});
const stop = () => aedes.close(() => server.close(() => process.exit(0)));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
