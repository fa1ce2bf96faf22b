// The embedded default: one SQLite file for one replica, worked on by a thread of its own
// (connection.ts ↔ thread.ts). One process owns the file, so waking this process's workers is
// waking them all.
import { EngineStore, type Engine, type StoreOptions } from '../engine-store.ts';
import { SqliteConnection } from './connection.ts';

export { StoreInUseError } from './database.ts';

export async function openSqliteStore(path: string, options: StoreOptions = {}): Promise<EngineStore> {
  const connection = await SqliteConnection.open(path);
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
  return new EngineStore(engine, options);
}
