// The benchmark's yardstick: bare Fastify accepting the same body on the same route and answering 202.
import Fastify from 'fastify';

const app = Fastify({ logger: false, bodyLimit: 1_048_576 });
app.post('/webhooks/shopify', async (_request, reply) => reply.code(202).send({ status: 'accepted' }));
app.get('/health', async () => ({ status: 'ok' }));
await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
