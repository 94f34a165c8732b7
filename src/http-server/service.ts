import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';

/** How long a client may take; Node checks open requests against these every `checkEveryMs`. */
export interface HttpTimeouts {
  requestMs: number;
  headersMs: number;
  checkEveryMs: number;
}

export const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = { requestMs: 15_000, headersMs: 10_000, checkEveryMs: 2_000 };

/**
 * The lifecycle every small HTTP server here shares: listen, report its URL, close for good. Slow
 * clients are cut: the whole request within 15 s, its headers within 10 s (each server bounds its
 * bodies too), so stalled uploads cannot hold sockets and memory.
 */
export abstract class HttpService {
  protected readonly server: Server;
  private port = 0;
  private host = '127.0.0.1';

  constructor(timeouts: Partial<HttpTimeouts> = {}) {
    const t = { ...DEFAULT_HTTP_TIMEOUTS, ...timeouts };
    // Node's default check runs every 30 s, which would let a stalled request live 45 s.
    this.server = createServer(
      { connectionsCheckingInterval: t.checkEveryMs },
      (req, res) => void this.onRequest(req, res),
    );
    this.server.requestTimeout = t.requestMs;
    this.server.headersTimeout = Math.min(t.headersMs, t.requestMs);
    this.server.keepAliveTimeout = 5_000;
  }

  protected abstract onRequest(req: IncomingMessage, res: ServerResponse): Promise<void>;

  async start(port = 0, host = '127.0.0.1'): Promise<this> {
    this.host = host;
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  get url(): string {
    const host = this.host === '0.0.0.0' || this.host === '::' ? '127.0.0.1' : this.host;
    return `http://${host}:${this.port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
