// What both shop stand-ins share about HTTP: a server on a port (0 picks a free one) with its
// origin, bodies read whole, JSON answers, and the posting of one webhook with a deadline.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => Promise<void> | void;

export interface Listening {
  server: Server;
  origin: string;
}

export async function listen(handler: Handler, port = 0, host = '127.0.0.1'): Promise<Listening> {
  const server = createServer((req, res) => {
    readBody(req)
      .then((body) => handler(req, res, body))
      .catch((e: unknown) => sendJson(res, 500, { errors: String(e) }));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const address = server.address() as AddressInfo;
  return { server, origin: `http://${host.includes(':') ? `[${host}]` : host}:${address.port}` };
}

export async function closeServer(server: Server | undefined): Promise<void> {
  if (!server) return;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

/** An ISO time to whole seconds, as both platforms show theirs ("2026-12-05T12:00:00Z"). */
export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** The status the far end answered, or the reason there was none (refused, reset, timed out). */
export type PostOutcome = { status: number } | { error: string };

/** One POST of a webhook: no retry here, each platform decides what a failure means. */
export async function postWebhook(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<PostOutcome> {
  try {
    const response = await fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    await response.arrayBuffer().catch(() => undefined); // drain, so the connection is reused
    return { status: response.status };
  } catch (e) {
    const error = e as Error & { cause?: { code?: string } };
    return { error: error.name === 'TimeoutError' ? `timed out after ${timeoutMs} ms` : (error.cause?.code ?? error.message) };
  }
}
