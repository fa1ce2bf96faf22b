// The SQLite database on a thread of its own. node:sqlite's calls are synchronous: on the main
// thread every commit (and every WAL checkpoint's fsync) would stall all the requests in flight.
// Here they only make the caller's promise wait. Messages: in { id, method, args }, out
// { id, result } or { id, error }; the first message out says whether the file opened.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { SqliteDatabase } from './sqlite-database.ts';

export interface ThreadOptions {
  path: string;
  migrationsDir: string;
}

/** An error as it crosses to the main thread: what it takes to rebuild it there. */
export interface ThreadError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
  errcode?: number;
}

export type Request = { id: number; method: string; args: unknown[] };
export type Reply = { id: number; result: unknown } | { id: number; error: ThreadError };
export type Opened = { opened: true } | { opened: false; error: ThreadError };

function toThreadError(error: unknown): ThreadError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const { code, errcode } = error as { code?: unknown; errcode?: unknown };
  return {
    name: error.name,
    message: error.message,
    ...(error.stack !== undefined && { stack: error.stack }),
    ...(typeof code === 'string' && { code }),
    ...(typeof errcode === 'number' && { errcode }),
  };
}

function serve(port: MessagePort, { path, migrationsDir }: ThreadOptions): void {
  let db: SqliteDatabase;
  try {
    db = new SqliteDatabase(path, migrationsDir);
  } catch (error) {
    port.postMessage({ opened: false, error: toThreadError(error) } satisfies Opened);
    port.close();
    return;
  }
  port.postMessage({ opened: true } satisfies Opened);
  const methods = db as unknown as Record<string, (...args: unknown[]) => unknown>;
  port.on('message', ({ id, method, args }: Request) => {
    try {
      const call = methods[method];
      if (typeof call !== 'function') throw new Error(`the SQLite thread has no method ${method}`);
      port.postMessage({ id, result: call.apply(db, args) } satisfies Reply);
    } catch (error) {
      port.postMessage({ id, error: toThreadError(error) } satisfies Reply);
    }
    if (method === 'close') port.close();
  });
}

if (parentPort) serve(parentPort, workerData as ThreadOptions);
