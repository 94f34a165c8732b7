import { type IncomingMessage, type ServerResponse } from 'node:http';
import { type Client } from '@temporalio/client';
import { HttpService } from '../http-server/service';
import { type ProviderHealth } from '../health/health';
import { IntervalReport } from '../limits/report';
import { type LimitStore } from '../limits/store';
import { METRICS } from '../metrics/catalog';
import { CounterRegistry, renderGauge } from '../metrics/registry';
import { type ReceiptIndex } from '../receipts/types';
import { secretsEqual } from '../security/constant-time';
import { isFinalState, type DeliveryStatus } from '../shared/delivery-status';
import { ReceiptDelivery } from './delivery';
import { BodyTooLargeError, readBody, reply, send, type Reply } from './http';
import { handleReach } from './reach';
import { handleSmsbat } from './smsbat';

export interface WebhookReceiverOptions {
  client: Client;
  /** The receiver's root as providers reach it (Reach signs the exact URL). */
  publicUrl: string;
  /** Enables `POST /webhooks/smsbat[/<token>]` (needs `receipts`). */
  smsbatToken?: string;
  /** Which flow sent each SMSBAT message id (the same index the workers write). */
  receipts?: ReceiptIndex;
  /** Enables `POST /webhooks/reach/<tag>?wf=…` (Reach signs callbacks with the account's API key). */
  reachApiKey?: string;
  /** SMSBAT's account currency, for the amounts its webhook carries without one. */
  smsbatCurrency?: string;
  /** Shared provider health: each settled receipt for a flow (open or ended) counts there once. */
  health?: ProviderHealth;
  /** Enables `GET /metrics` for the bearer of this token. */
  metricsToken?: string;
  /**
   * The limit store the workers count in (yours to close): `/metrics` then reports the blocks in
   * force (`temporal_cascade_abuse_blocks_active`), read at scrape time.
   */
  limitStore?: Pick<LimitStore, 'activeBlocks'>;
  /** How long one read of the limit store serves scrapes (default 10 s): a scrape storm is one query. */
  limitStoreCacheMs?: number;
  /** Default 16 KiB: a receipt is a few hundred bytes; anything larger is refused with 413. */
  maxBodyBytes?: number;
  /** One structured line per request; never bodies, tokens or phone numbers. */
  log?: (entry: Record<string, unknown>) => void;
  /** @deprecated Unused since 0.2.0 (receipts go to their flows directly). */
  taskQueue?: string;
}

/** How often expired index entries (unclaimed parked receipts, old claims) are removed. */
const EXPIRE_EVERY_MS = 60_000;
/** A scrape waits this long for the limit store, then goes without the gauge (Prometheus's own timeout is 10 s). */
const STORE_READ_TIMEOUT_MS = 2_000;

/**
 * The HTTP server providers post delivery receipts to. Bad tokens and signatures get 401/403,
 * malformed bodies 400, unknown or finished flows an acknowledgement without effect; no request
 * can take the process down, and none costs a workflow: receipts reach their own flows (or their
 * bulk chunks, batched), and receipts for ids nobody claimed wait in the bounded park.
 */
export class WebhookReceiver extends HttpService {
  private readonly delivery: ReceiptDelivery;
  private readonly counts = new Map<string, number>();
  /** What `GET /metrics` serves Prometheus (see the catalog). */
  readonly metricsRegistry = new CounterRegistry();
  private expiry?: NodeJS.Timeout;
  /** The last read of the limit store, shared by the scrapes within its cache time. */
  private blocksRead?: { at: number; text: Promise<string> };
  /** A store that is down is one log line a minute, however often Prometheus scrapes. */
  private readonly storeErrors = new IntervalReport((event, count, error) =>
    this.log({ event, count, error, effect: 'temporal_cascade_abuse_blocks_active left out of /metrics' }),
  );

  constructor(private options: WebhookReceiverOptions) {
    super();
    if (options.smsbatToken && !options.receipts) {
      throw new Error('the SMSBAT webhook needs the receipt index (CASCADE_RECEIPT_INDEX) the workers write');
    }
    const { health } = options;
    this.delivery = new ReceiptDelivery(
      options.client,
      health && ((status) => health.receipt(status.provider, status.state)),
    );
  }

  override async start(port = 0, host = '127.0.0.1'): Promise<this> {
    await super.start(port, host);
    const receipts = this.options.receipts;
    if (receipts) {
      this.expiry = setInterval(() => void receipts.expire().catch(() => undefined), EXPIRE_EVERY_MS);
      this.expiry.unref();
    }
    return this;
  }

  override async close(): Promise<void> {
    clearInterval(this.expiry);
    this.storeErrors.flush();
    await super.close();
  }

  /** For a receiver started on a free port before its public URL was known (tests, the testbed). */
  setPublicUrl(url: string): void {
    this.options.publicUrl = url;
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
          : {
              ...reply(503, { error: 'could not deliver the receipt to Temporal; the provider will retry' }),
              retryAfterSec: 5,
            };
      if (!(err instanceof BodyTooLargeError)) this.log({ event: 'error', error: (err as Error).message });
    }
    send(res, result);
    this.metricsRegistry.add(METRICS.receiverRequests, { route: routeLabel(path), code: String(result.status) });
    this.log({
      method: req.method,
      route: path.replace(/^(\/webhooks\/(smsbat|reach))\/.*$/, '$1'),
      status: result.status,
      ms: Date.now() - started,
    });
  }

  private async dispatch(req: IncomingMessage, path: string): Promise<Reply> {
    const { options } = this;
    if (req.method === 'GET' && path === '/healthz') return reply(200, { ok: true });
    if (req.method === 'GET' && path === '/readyz') return this.readiness();
    if (req.method === 'GET' && path === '/metrics' && options.metricsToken) return this.metrics(req);

    const smsbat = /^\/webhooks\/smsbat(?:\/([^/]+))?\/?$/.exec(path);
    if (smsbat && options.smsbatToken && options.receipts) {
      if (req.method !== 'POST') return reply(405, { error: 'POST only' });
      const body = await readBody(req, options.maxBodyBytes ?? 16_384);
      const token = smsbat[1] === undefined ? undefined : safeDecode(smsbat[1]);
      return handleSmsbat(req, token, body, {
        token: options.smsbatToken,
        receipts: options.receipts,
        delivery: this.delivery,
        currency: options.smsbatCurrency,
        count: (outcome, status) => this.count('smsbat', outcome, status),
        log: (entry) => this.log(entry),
      });
    }
    const reach = /^\/webhooks\/reach(?:\/([^/]+))?\/?$/.exec(path);
    if (reach && options.reachApiKey) {
      if (req.method !== 'POST') return reply(405, { error: 'POST only' });
      const body = await readBody(req, options.maxBodyBytes ?? 16_384);
      return handleReach(req, reach[1] && safeDecode(reach[1]), body, {
        apiKey: options.reachApiKey,
        publicUrl: options.publicUrl,
        delivery: this.delivery,
        count: (outcome, status) => this.count('reach', outcome, status),
        log: (entry) => this.log(entry),
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

  /**
   * Prometheus text for a scraper (its Accept header names text/plain or OpenMetrics); otherwise
   * the JSON counts per provider and outcome and the index's own figures.
   */
  private async metrics(req: IncomingMessage): Promise<Reply> {
    const header = req.headers.authorization ?? '';
    if (!secretsEqual(header.startsWith('Bearer ') ? header.slice(7) : '', this.options.metricsToken!)) {
      return reply(401, { error: 'unauthorized' });
    }
    if (/text\/plain|openmetrics/.test(req.headers.accept ?? '')) {
      // Read first: a failed read counts on the registry in this very scrape.
      const blocks = await this.blocksGauge();
      return { status: 200, body: {}, text: this.metricsRegistry.render() + blocks };
    }
    const stats = await this.options.receipts?.stats();
    return {
      status: 200,
      body: {
        receipts: Object.fromEntries(this.counts),
        ...(stats ? { index: stats } : {}),
      },
    };
  }

  /** The blocks gauge from the limit store, cached; empty (never a failed scrape) when the store cannot answer. */
  private blocksGauge(): Promise<string> {
    const store = this.options.limitStore;
    if (!store) return Promise.resolve('');
    const now = Date.now();
    if (!this.blocksRead || now - this.blocksRead.at >= (this.options.limitStoreCacheMs ?? 10_000)) {
      this.blocksRead = { at: now, text: this.readBlocks(store) };
    }
    return this.blocksRead.text;
  }

  private async readBlocks(store: Pick<LimitStore, 'activeBlocks'>): Promise<string> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const active = await Promise.race([
        store.activeBlocks(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer within ${STORE_READ_TIMEOUT_MS} ms`)),
            STORE_READ_TIMEOUT_MS,
          );
        }),
      ]);
      return renderGauge(
        METRICS.abuseBlocks,
        active.map((b) => ({ labels: { scope: b.scope, mode: b.mode }, value: b.count })),
      );
    } catch (err) {
      this.metricsRegistry.add(METRICS.receiverStoreErrors, { store: 'limits' });
      this.storeErrors.add('limit_store_unavailable', (err as Error).message);
      return '';
    } finally {
      clearTimeout(timer);
    }
  }

  private count(provider: string, outcome: string, status?: DeliveryStatus): void {
    const key = `${provider}.${outcome}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    this.metricsRegistry.add(METRICS.receiverReceipts, { provider, outcome });
    if (status && isFinalState(status.state) && outcome.startsWith('forwarded')) {
      this.metricsRegistry.add(METRICS.receipts, { provider, path: 'webhook', state: status.state });
    }
  }

  private log(entry: Record<string, unknown>): void {
    this.options.log?.({ at: new Date().toISOString(), component: 'webhooks', ...entry });
  }
}

/** The receiver's routes, as a label from a fixed set (a path of our own choosing never becomes one). */
function routeLabel(path: string): string {
  const route = /^\/(?:webhooks\/(smsbat|reach)(?:\/|$)|(healthz|readyz|metrics)$)/.exec(path);
  return route?.[1] ?? route?.[2] ?? 'other';
}

/** A malformed %-escape is a wrong token, not a server error. */
function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return '';
  }
}
