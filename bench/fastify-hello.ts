import Fastify from 'fastify';

/**
 * The baseline of bench/api.ts: a bare Fastify hello-world route (shared/BENCHMARKS.md "Fastify 5
 * hello-world"), run as its own process so it has a core of its own like Flotilla does.
 */
const app = Fastify({ logger: false });
app.get('/', async () => ({ hello: 'world' }));
const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`hello listening on ${address}\n`);
const stop = () => void app.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
