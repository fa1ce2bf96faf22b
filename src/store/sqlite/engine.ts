// The embedded default: one SQLite file for one replica, worked on by a thread of its own
// (connection.ts ↔ thread.ts). One process owns the file, so waking this process's workers is
// waking them all.
import { systemClock } from '../../clock.ts';
import { type Engine, engineStore, type StoreOptions } from '../engine-store.ts';
import type { Store } from '../store.ts';
import { SqliteConnection } from './connection.ts';

export { StoreInUseError } from './database.ts';

export interface SqliteOptions extends StoreOptions {
  /** How long opening waits for another process's lock on the file before refusing (5 s; tests need not wait that long). */
  busyTimeoutMs?: number;
}

export async function openSqliteStore(path: string, options: SqliteOptions = {}): Promise<Store> {
  const { busyTimeoutMs = 5_000, ...store } = options;
  const connection = await SqliteConnection.open({ path, busyTimeoutMs, now: (store.clock ?? systemClock).now() });
  const listeners = new Set<() => void>();
  const engine: Engine = {
    name: 'sqlite',
    commitConcurrency: 1, // one writer: commits queue up on the thread anyway
    run: (op, ...args) => connection.call(op, ...args),
    async notifyDue() {
      for (const listener of listeners) listener();
    },
    onDue(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      listeners.clear();
      await connection.close();
    },
  };
  return engineStore(engine, store);
}
