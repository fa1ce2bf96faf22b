// A tiny webhook receiver for the shop stand-ins' tests: it keeps each request it gets (headers and
// raw body) and answers with the status a test sets, or one picked per request; 0 never answers.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** The status answered, fixed or per request; 0 leaves the request hanging. */
  status: number | ((request: Received) => number);
  close(): Promise<void>;
}

export async function startReceiver(status: Receiver['status'] = 200): Promise<Receiver> {
  const receiver: Receiver = { url: '', received: [], status, close: async () => undefined };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = { path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      receiver.received.push(request);
      const status = typeof receiver.status === 'function' ? receiver.status(request) : receiver.status;
      if (status !== 0) res.writeHead(status).end(); // 0: hang, as a stuck service does
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  receiver.close = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return receiver;
}
