// The main thread's side of the SQLite thread: each store operation becomes a message, answered in
// the order sent. If the thread dies before it is closed, every waiting call
// and every later one fails, and the error is rethrown on the main thread: without its database
// the process can only refuse orders, so it goes down (server.ts shuts down on an uncaught error)
// and the orchestrator starts a fresh one.
import { Worker } from 'node:worker_threads';
import { serviceModule } from '../../service-files.ts';
import type { OperationArgs, OperationName, OperationResult } from '../operations/index.ts';
import { StoreUnavailableError } from '../errors.ts';
import { StoreInUseError } from './database.ts';
import type { Opened, Reply, ThreadError, ThreadOptions } from './thread.ts';

/** The thread's name, which the OS shows too (at most 15 characters): the bench reads its CPU time by it. */
export const SQLITE_THREAD_NAME = 'sqlite-store';

interface Waiting {
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
}

/**
 * SQLite's primary result codes of a file it cannot write now (SQLITE_READONLY, IOERR, CORRUPT, FULL,
 * CANTOPEN, NOTADB): the store is unavailable, not broken by the request — a webhook gets 503 with
 * Retry-After (the shop retries), an outcome is written again, and /readyz says so.
 */
const UNWRITABLE = new Set([8, 10, 11, 13, 14, 26]);

function fromThread(error: ThreadError): Error {
  let rebuilt: Error;
  if (error.name === 'StoreInUseError') rebuilt = new StoreInUseError(error.message);
  else if (typeof error.errcode === 'number' && UNWRITABLE.has(error.errcode & 0xff))
    rebuilt = new StoreUnavailableError(
      'unreachable',
      `the database file cannot be written (SQLite code ${error.errcode}: ${error.message})`,
    );
  else {
    rebuilt = new Error(error.message);
    rebuilt.name = error.name;
  }
  if (error.stack) rebuilt.stack = error.stack;
  return Object.assign(
    rebuilt,
    error.code !== undefined && { code: error.code },
    error.errcode !== undefined && { errcode: error.errcode },
  );
}

export class SqliteConnection {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 0;
  private stopped: Error | undefined;
  private closing: Promise<void> | undefined;

  private constructor(worker: Worker) {
    this.worker = worker;
    worker.on('message', (reply: Reply) => {
      const waiting = this.waiting.get(reply.id);
      if (!waiting) return;
      this.waiting.delete(reply.id);
      if ('error' in reply) waiting.reject(fromThread(reply.error));
      else waiting.resolve(reply.result);
    });
    worker.on('error', (error) => this.fail(new Error(`the SQLite thread failed: ${error.message}`, { cause: error })));
    worker.on('exit', (code) =>
      this.closing ? this.stop(new Error('the store is closed')) : this.fail(new Error(`the SQLite thread exited (code ${code})`)),
    );
  }

  /** Starts the thread, which opens and migrates the file; fails as opening the file would. */
  static async open(options: ThreadOptions): Promise<SqliteConnection> {
    const { path } = options;
    const worker = new Worker(serviceModule('store/sqlite/thread'), { workerData: options, name: SQLITE_THREAD_NAME });
    const opened = await new Promise<Opened>((resolve, reject) => {
      const exited = (code: number) => reject(new Error(`the SQLite thread exited (code ${code}) before opening ${path}`));
      worker
        .once('error', reject)
        .once('exit', exited)
        .once('message', (message: Opened) => {
          // Only these: removeAllListeners() would also drop the worker's own, and with them its messages.
          worker.off('error', reject).off('exit', exited);
          resolve(message);
        });
    });
    if (!opened.opened) {
      await worker.terminate();
      throw fromThread(opened.error);
    }
    return new SqliteConnection(worker);
  }

  call<K extends OperationName>(op: K, ...args: OperationArgs<K>): Promise<OperationResult<K>> {
    return this.send(op, args) as Promise<OperationResult<K>>;
  }

  private send(op: string, args: unknown[]): Promise<unknown> {
    if (this.stopped) return Promise.reject(this.stopped);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ id, op, args });
    });
  }

  /** Closes the database after the calls already sent, and ends the thread. */
  close(): Promise<void> {
    this.closing ??= this.stopped
      ? Promise.resolve()
      : new Promise<void>((resolve, reject) => {
          this.worker.once('exit', () => resolve());
          this.send('close', []).catch(reject);
        });
    return this.closing;
  }

  private fail(reason: Error): void {
    if (this.stopped) return;
    this.stop(reason);
    setImmediate(() => {
      throw reason;
    });
  }

  private stop(reason: Error): void {
    this.stopped ??= reason;
    for (const waiting of this.waiting.values()) waiting.reject(reason);
    this.waiting.clear();
  }
}
