// Runs the service: validates the environment and mapping once, builds the app, listens, and
// shuts down gracefully on SIGTERM/SIGINT (stop accepting, finish in-flight sends, close the store).
import { enableCompileCache } from 'node:module';
import type { Settings } from './config/settings.ts';

// Run from the sources (node src/server.ts: tests, the demo), the modules load one by one, and V8's
// code cache on disk (in the OS temp dir) roughly halves that on every start after the first; it is
// enabled before they are imported, so they are loaded dynamically below. The production build
// (scripts/build.ts) is one bundled file and does not need it.
enableCompileCache();
const { default: closeWithGrace } = await import('close-with-grace');
const { buildApp } = await import('./app.ts');
const { ConfigError, describeConfig } = await import('./config/env.ts');
const { loadSettings } = await import('./config/settings.ts');
const { createLogger } = await import('./logger.ts');

let settings: Settings;
try {
  settings = loadSettings(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}

const { config } = settings;
const logger = createLogger(config.LOG_LEVEL);
logger.info({ config: describeConfig(config) }, 'starting');

let app: Awaited<ReturnType<typeof buildApp>>;
try {
  app = await buildApp(settings, {
    logger,
    server: {
      // Longer than load balancers' usual 60 s idle timeout, so they close idle connections first.
      keepAliveTimeout: 72_000,
      connectionTimeout: 30_000,
      requestTimeout: 30_000,
      // Keep-alive connections would otherwise hold a graceful close open until they time out.
      forceCloseConnections: 'idle',
    },
  });
} catch (error) {
  logger.fatal({ err: error }, 'could not start');
  process.exit(1);
}

closeWithGrace({ delay: config.SHUTDOWN_GRACE_MS, logger }, async ({ signal, err }) => {
  if (err) logger.error({ err }, 'shutting down after an uncaught error');
  else logger.info({ signal }, 'shutting down');
  await app.close();
});

try {
  await app.listen({ port: config.PORT, host: config.HOST });
} catch (error) {
  const { code } = error as { code?: string };
  logger.fatal(
    { err: error, host: config.HOST, port: config.PORT },
    `could not listen on HOST ${config.HOST}, PORT ${config.PORT} (${code ?? 'error'})`,
  );
  await app.close();
  process.exit(1);
}
