// The SQLite database on a thread of its own. node:sqlite's calls are synchronous: on the main
// thread every commit (and every WAL checkpoint's fsync) would stall all the requests in flight.
// Here they only make the caller's promise wait. Messages: in { id, op, args } (an operation of
// ../operations), out { id, result } or { id, error }; the first message out says whether the file
// opened. Operations run one at a time, in the order they arrive.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { type AnyOperation, OPERATIONS } from '../operations/index.ts';
import { type DatabaseOptions, openDatabase, type SqliteRunner } from './database.ts';

export interface ThreadOptions extends DatabaseOptions {
  path: string;
}

/** An error as it crosses to the main thread: what it takes to rebuild it there. */
export interface ThreadError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
  errcode?: number;
}

export type Request = { id: number; op: string; args: unknown[] };
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

const operations: Record<string, AnyOperation | undefined> = OPERATIONS as unknown as Record<string, AnyOperation>;

async function serve(port: MessagePort, { path, ...options }: ThreadOptions): Promise<void> {
  let db: SqliteRunner;
  try {
    db = await openDatabase(path, options);
  } catch (error) {
    port.postMessage({ opened: false, error: toThreadError(error) } satisfies Opened);
    port.close();
    return;
  }
  port.postMessage({ opened: true } satisfies Opened);
  let queue = Promise.resolve();
  port.on('message', (request: Request) => {
    queue = queue.then(() => handle(port, db, request));
  });
}

async function handle(port: MessagePort, db: SqliteRunner, { id, op, args }: Request): Promise<void> {
  if (op === 'close') {
    db.close();
    port.postMessage({ id, result: undefined } satisfies Reply);
    port.close();
    return;
  }
  try {
    const operation = Object.hasOwn(operations, op) ? operations[op] : undefined;
    if (!operation) throw new Error(`the SQLite thread has no operation ${op}`);
    port.postMessage({ id, result: await operation.run(db, ...args) } satisfies Reply);
  } catch (error) {
    port.postMessage({ id, error: toThreadError(error) } satisfies Reply);
  }
}

if (parentPort) void serve(parentPort, workerData as ThreadOptions);
