import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';

/** The lifecycle every small HTTP server here shares: listen, report its URL, close for good. */
export abstract class HttpService {
  protected readonly server: Server;
  private port = 0;
  private host = '127.0.0.1';

  constructor() {
    this.server = createServer((req, res) => void this.onRequest(req, res));
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
    return `http://${this.host}:${this.port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
