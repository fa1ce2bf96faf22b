// DATABASE_URL picks the engine: postgres:// or postgresql:// for PostgreSQL, anything else is a SQLite file path.
import type { Logger } from 'pino';
import { isPostgresUrl } from './database-url.ts';
import { openPostgresStore } from './postgres/engine.ts';
import { openSqliteStore } from './sqlite/engine.ts';
import type { StoreOptions } from './engine-store.ts';
import type { Store } from './store.ts';

export async function openStore(url: string, options: StoreOptions & { poolMax: number; log: Logger }): Promise<Store> {
  const { poolMax: _pool, log: _log, ...store } = options;
  if (!isPostgresUrl(url)) return openSqliteStore(url, store);
  return openPostgresStore({
    ...store,
    url,
    poolMax: options.poolMax,
    onListenerChange: (connected, error) =>
      connected
        ? options.log.info('listening for due deliveries')
        : options.log.warn({ err: error }, 'lost the LISTEN connection; polling until it is back'),
  });
}
