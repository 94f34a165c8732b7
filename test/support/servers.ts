import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';

/** A tiny HTTP server on a random port for misbehaving-provider and webhook-capture tests. */
export async function startServer(
  handler: (req: IncomingMessage, body: string, res: ServerResponse) => void,
): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req, Buffer.concat(chunks).toString('utf8'), res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Collects POSTed webhooks. */
export async function startCapture() {
  const received: { headers: IncomingMessage['headers']; body: string; url: string }[] = [];
  const s = await startServer((req, body, res) => {
    received.push({ headers: req.headers, body, url: req.url ?? '' });
    res.writeHead(200).end('ok');
  });
  return { ...s, received };
}

export async function eventually<T>(get: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error('not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
