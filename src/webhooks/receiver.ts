import { type IncomingMessage, type ServerResponse } from 'node:http';
import { HttpService } from '../http-server/service';
import { type Client } from '@temporalio/client';
import { ReceiptRoutes } from '../routing/receipt-routes';
import { BodyTooLargeError, readBody, reply, send, type Reply } from './http';
import { handleReach } from './reach';
import { handleSmsbat } from './smsbat';

export interface WebhookReceiverOptions {
  client: Client;
  taskQueue: string;
  /** The receiver's root as providers reach it (Reach signs the exact URL). */
  publicUrl: string;
  /** Enables `POST /webhooks/smsbat[/<token>]`. */
  smsbatToken?: string;
  /** Enables `POST /webhooks/reach` (Reach signs callbacks with the account's API key). */
  reachApiKey?: string;
  /** Default 64 KiB: receipts are small; anything larger is refused with 413. */
  maxBodyBytes?: number;
  /** One structured line per request; never bodies, tokens or phone numbers. */
  log?: (entry: Record<string, unknown>) => void;
}

/**
 * The HTTP server providers post delivery receipts to. Bad tokens and signatures get 401/403,
 * malformed bodies 400, unknown or finished flows an acknowledgement without effect; no request
 * can take the process down.
 */
export class WebhookReceiver extends HttpService {
  private readonly routes: ReceiptRoutes;

  constructor(private readonly options: WebhookReceiverOptions) {
    super();
    this.routes = new ReceiptRoutes(options.client, options.taskQueue);
    this.server.requestTimeout = 15_000;
    this.server.headersTimeout = 10_000;
  }

  protected async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const path = (req.url ?? '/').split('?')[0];
    let result: Reply;
    try {
      result = await this.dispatch(req, path);
    } catch (err) {
      result =
        err instanceof BodyTooLargeError
          ? reply(413, { error: 'body too large' })
          : reply(503, { error: 'could not deliver the receipt to Temporal; the provider will retry' });
      if (!(err instanceof BodyTooLargeError)) this.log({ event: 'error', error: (err as Error).message });
    }
    send(res, result);
    this.log({
      method: req.method,
      route: path.startsWith('/webhooks/smsbat') ? '/webhooks/smsbat' : path,
      status: result.status,
      ms: Date.now() - started,
    });
  }

  private async dispatch(req: IncomingMessage, path: string): Promise<Reply> {
    const { options } = this;
    if (req.method === 'GET' && path === '/healthz') return reply(200, { ok: true });
    if (req.method === 'GET' && path === '/readyz') return this.readiness();

    const smsbat = /^\/webhooks\/smsbat(?:\/([^/]+))?\/?$/.exec(path);
    if (smsbat && options.smsbatToken) {
      if (req.method !== 'POST') return reply(405, { error: 'POST only' });
      const body = await readBody(req, options.maxBodyBytes ?? 65_536);
      const token = smsbat[1] === undefined ? undefined : safeDecode(smsbat[1]);
      return handleSmsbat(req, token, body, { token: options.smsbatToken, routes: this.routes });
    }
    if (path === '/webhooks/reach' && options.reachApiKey) {
      if (req.method !== 'POST') return reply(405, { error: 'POST only' });
      const body = await readBody(req, options.maxBodyBytes ?? 65_536);
      return handleReach(req, body, {
        apiKey: options.reachApiKey,
        publicUrl: options.publicUrl,
        client: options.client,
      });
    }
    return reply(404, { error: 'not found' });
  }

  private async readiness(): Promise<Reply> {
    try {
      await this.options.client.workflowService.getSystemInfo({});
      return reply(200, { ok: true });
    } catch {
      return reply(503, { ok: false, error: 'Temporal is not reachable' });
    }
  }

  private log(entry: Record<string, unknown>): void {
    this.options.log?.({ at: new Date().toISOString(), component: 'webhooks', ...entry });
  }
}

/** A malformed %-escape is a wrong token, not a server error. */
function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return '';
  }
}
