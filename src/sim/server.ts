import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, type Socket } from 'node:net';
import { request as undiciRequest } from 'undici';
import { BodyTooLargeError, readBody } from '../http-server/body';
import { type ProviderSim, type SimContext } from './context';
import { FaultInjector } from './faults';
import { quirksProblem } from './quirks';
import { createReachSim, type ReachSimConfig } from './reach';
import { Scenario } from './scenario';
import { createSmsbatSim, type SmsbatSimConfig } from './smsbat';
import { assertPeers, type CascadeMissingPeerError } from '../setup/peers';
import { type SmtpSim } from './smtp';
import {
  OUTAGE_FAULTS,
  type SimFaults,
  type SimOutage,
  type SimMessage,
  type SimProvider,
  type SimQuirk,
  type SimRequest,
  type SimResponse,
  type SimRule,
} from './types';

/** Credentials the simulator accepts unless told otherwise; the sandbox's `.env` uses the same. */
export const SIM_CREDENTIALS = {
  smsbat: {
    apiKey: 'sim-smsbat-api-key',
    username: 'sim-user',
    password: 'sim-password',
    viberToken: 'sim-viber-token',
    tgBotKey: 'sim-tg-bot-key',
  },
  reach: { apiUser: 'sim-reach-user', apiKey: 'sim-reach-api-key' },
} as const;

export interface SimulatorOptions {
  host?: string;
  /** HTTP port for both providers' APIs and the control API; 0 picks a free one. */
  port?: number;
  /**
   * SMTP capture port; 0 picks a free one, `false` disables SMTP. Unset: the capture runs when
   * smtp-server (an optional dev dependency) is installed, and tests without email need not have it.
   */
  smtpPort?: number | false;
  /** Time from acceptance to the final status, ms. Default 300. */
  deliveryDelayMs?: number;
  smsbat?: Partial<Omit<SmsbatSimConfig, 'currency'>>;
  reach?: Partial<ReachSimConfig>;
  /** Seed of the fault-injection generator. */
  seed?: number;
  /** Keep at most this many requests for assertions. Default 50 000. */
  maxRecordedRequests?: number;
}

const MAX_BODY = 10 * 1024 * 1024;

/**
 * The provider simulator: SMSBAT and Reach over HTTP on one port (their paths do not collide),
 * an SMTP server that captures mail, and a control API (`/_sim/*`) for tests.
 */
export class Simulator {
  readonly scenario = new Scenario();
  private readonly faults: Record<SimProvider, FaultInjector>;
  private readonly sims: ProviderSim[];
  private readonly smtp?: SmtpSim;
  /** Why there is no email capture though none was turned off: smtp-server is not installed. */
  readonly emailUnavailable?: CascadeMissingPeerError;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private quirks: Record<'smsbat' | 'reach', SimQuirk[]> = { smsbat: [], reach: [] };
  private recorded: SimRequest[] = [];
  private receiptFailures = 0;
  private receiptsSent = 0;
  readonly smsbatConfig: SmsbatSimConfig;
  readonly reachConfig: ReachSimConfig;
  private port = 0;

  constructor(private readonly options: SimulatorOptions = {}) {
    this.faults = {
      smsbat: new FaultInjector(options.seed ?? 1),
      reach: new FaultInjector((options.seed ?? 1) + 1),
      email: new FaultInjector((options.seed ?? 1) + 2),
    };
    this.smsbatConfig = { ...SIM_CREDENTIALS.smsbat, currency: 'USD', ...options.smsbat };
    this.reachConfig = { ...SIM_CREDENTIALS.reach, ...options.reach };
    const ctx = (provider: SimProvider): SimContext => ({
      scenario: this.scenario,
      faults: this.faults[provider],
      deliveryDelayMs: options.deliveryDelayMs ?? 300,
      schedule: (ms, fn) => this.schedule(ms, fn),
      postReceipt: (url, init) => this.postReceipt(provider, url, init),
      now: () => Date.now(),
      quirks: (ofRule) => new Set([...ofRule, ...(provider === 'email' ? [] : this.quirks[provider])]),
    });
    this.sims = [createSmsbatSim(ctx('smsbat'), this.smsbatConfig), createReachSim(ctx('reach'), this.reachConfig)];
    if (options.smtpPort !== false) {
      // Loaded only when used: a test with no email step needs no smtp-server.
      try {
        assertPeers("the provider simulator's email capture (SMTP)", ['smtp-server'], { dev: true });
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        this.smtp = new (require('./smtp') as { SmtpSim: typeof SmtpSim }).SmtpSim(ctx('email'));
      } catch (err) {
        if (options.smtpPort !== undefined || (err as { code?: string }).code !== 'CASCADE_MISSING_PEER') throw err;
        this.emailUnavailable = err as CascadeMissingPeerError;
      }
    }
    this.server = createServer((req, res) => void this.onRequest(req, res));
    this.server.keepAliveTimeout = 60_000;
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  async start(): Promise<this> {
    const host = this.options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? 0, host, () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    if (this.smtp) await this.smtp.start(host, this.options.smtpPort || 0);
    return this;
  }

  /** Base URL of both providers' APIs (use it as SMSBAT_BASE_URL and REACH_BASE_URL). */
  get url(): string {
    return `http://${this.options.host ?? '127.0.0.1'}:${this.port}`;
  }

  /** `smtp://…` URL of the capture server (use it as SMTP_URL). */
  get smtpUrl(): string | undefined {
    return this.smtp?.url;
  }

  // ---- control -------------------------------------------------------------------------------

  script(rule: SimRule): void {
    this.scenario.script(rule);
  }

  setFaults(provider: SimProvider | 'all', faults: SimFaults): void {
    for (const p of provider === 'all' ? (['smsbat', 'reach', 'email'] as const) : [provider])
      this.faults[p].set(faults);
  }

  /** A named condition for one provider (or all): an outage, background noise, or `healthy` again. */
  setOutage(provider: SimProvider | 'all', outage: SimOutage): void {
    const faults = OUTAGE_FAULTS[outage];
    if (!faults)
      throw new Error(`unknown outage ${JSON.stringify(outage)}; known: ${Object.keys(OUTAGE_FAULTS).join(', ')}`);
    this.setFaults(provider, faults);
  }

  /**
   * Quirks for every message of one provider, from now on (in flight ones included), on top of
   * those of the rule that decided each; `[]` turns them off. Off by default and after `reset()`.
   */
  setQuirks(provider: 'smsbat' | 'reach', quirks: SimQuirk[]): void {
    if (provider !== 'smsbat' && provider !== 'reach') throw new Error('quirks are set for smsbat or reach');
    const problem = quirksProblem(quirks, provider);
    if (problem) throw new Error(problem);
    this.quirks[provider] = [...quirks];
  }

  setSmsbatWebhookUrl(url: string | undefined): void {
    this.smsbatConfig.webhookUrl = url;
  }

  /** Every HTTP request a provider API received, oldest first. */
  requests(provider?: SimProvider): SimRequest[] {
    return provider ? this.recorded.filter((r) => r.provider === provider) : [...this.recorded];
  }

  /** Every message a provider accepted (emails included), oldest first. */
  messages(provider?: SimProvider): SimMessage[] {
    const all = [...this.sims.flatMap((s) => s.messages()), ...(this.smtp?.messages() ?? [])];
    return (provider ? all.filter((m) => m.provider === provider) : all).sort((a, b) => a.acceptedAt - b.acceptedAt);
  }

  /** Drives a message to its final status now and sends its receipt. */
  settle(provider: 'smsbat' | 'reach', messageId: string, result: 'delivered' | 'failed'): boolean {
    return this.simFor(provider).settle(messageId, result);
  }

  get receipts(): { sent: number; failed: number } {
    return { sent: this.receiptsSent, failed: this.receiptFailures };
  }

  reset(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.scenario.reset();
    this.quirks = { smsbat: [], reach: [] };
    for (const f of Object.values(this.faults)) f.set({});
    for (const s of this.sims) s.reset();
    this.smtp?.reset();
    this.recorded = [];
    this.receiptsSent = 0;
    this.receiptFailures = 0;
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.smtp?.close();
  }

  // ---- internals -----------------------------------------------------------------------------

  private simFor(provider: SimProvider): ProviderSim {
    const sim = this.sims.find((s) => s.provider === provider);
    if (!sim) throw new Error(`no simulated provider ${provider}`);
    return sim;
  }

  private schedule(ms: number, fn: () => void): void {
    // setTimeout fires at once past 2^31 - 1 ms (~24.8 days): wait in steps.
    const step = Math.min(Math.max(0, ms), 2 ** 31 - 1);
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (ms > step) this.schedule(ms - step, fn);
      else fn();
    }, step);
    this.timers.add(t);
  }

  private postReceipt(provider: SimProvider, url: string, init: { headers: Record<string, string>; body: string }) {
    if (this.faults[provider].dropReceipt()) return;
    this.receiptsSent++;
    undiciRequest(url, { method: 'POST', headers: init.headers, body: init.body, headersTimeout: 10_000 })
      .then(async (res) => {
        await res.body.dump();
        if (res.statusCode >= 300) this.receiptFailures++;
      })
      .catch(() => {
        this.receiptFailures++;
      });
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://sim');
      const rawBody = await readBody(req, MAX_BODY).catch((err: unknown) => {
        if (err instanceof BodyTooLargeError) return undefined;
        throw err;
      });
      if (rawBody === undefined) return send(res, { status: 413, json: { error: 'body too large' } });
      if (url.pathname.startsWith('/_sim/')) return send(res, this.control(req.method ?? 'GET', url, rawBody));
      const sim = this.sims.find((s) => s.matches(url.pathname));
      if (!sim) return send(res, { status: 404, json: { error: `no such endpoint: ${req.method} ${url.pathname}` } });
      const simReq: SimRequest = {
        provider: sim.provider,
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        rawBody,
        receivedAt: Date.now(),
      };
      this.record(simReq);
      const faults = this.faults[sim.provider];
      const decision = faults.admit(simReq.method);
      try {
        if (faults.latencyMs > 0) await new Promise((r) => setTimeout(r, faults.latencyMs));
        if (decision.kind === 'reset') return void req.socket.destroy();
        if (decision.kind === 'hang') return; // the socket is destroyed on close, or by the client's timeout
        if (decision.kind === 'respond') {
          const injected = sim.errorResponse(decision.response.status, faults.retryAfterSec);
          simReq.answeredWith = injected.status;
          return send(res, injected);
        }
        const answer = await sim.handle(simReq);
        if (decision.kind === 'acceptThen') {
          if (decision.then === 'hang') return; // accepted; the answer never comes
          const gateway = sim.errorResponse(502, faults.retryAfterSec);
          simReq.answeredWith = gateway.status;
          return send(res, gateway);
        }
        simReq.answeredWith = answer.status;
        send(res, answer);
      } finally {
        faults.release();
      }
    } catch (err) {
      send(res, { status: 500, json: { error: `simulator error: ${(err as Error).message}` } });
    }
  }

  private record(req: SimRequest): void {
    this.recorded.push(req);
    const max = this.options.maxRecordedRequests ?? 50_000;
    if (this.recorded.length > max) this.recorded.splice(0, this.recorded.length - max);
  }

  /** The control API; a request it cannot use (bad JSON, an unknown quirk…) is answered 400. */
  private control(method: string, url: URL, rawBody: string): SimResponse {
    try {
      return this.controlRequest(method, url, rawBody);
    } catch (err) {
      return { status: 400, json: { error: (err as Error).message } };
    }
  }

  private controlRequest(method: string, url: URL, rawBody: string): SimResponse {
    const body = rawBody ? (JSON.parse(rawBody) as Record<string, unknown>) : {};
    const provider = (url.searchParams.get('provider') ?? undefined) as SimProvider | undefined;
    switch (`${method} ${url.pathname}`) {
      case 'GET /_sim/health':
        return { status: 200, json: { ok: true, smtpUrl: this.smtpUrl } };
      case 'POST /_sim/script':
        this.script(body as unknown as SimRule);
        return { status: 204 };
      case 'POST /_sim/faults':
        this.setFaults((body.provider as SimProvider | 'all') ?? 'all', (body.faults ?? {}) as SimFaults);
        return { status: 204 };
      case 'POST /_sim/outage':
        this.setOutage((body.provider as SimProvider | 'all') ?? 'all', body.outage as SimOutage);
        return { status: 204 };
      case 'POST /_sim/quirks':
        this.setQuirks(body.provider as 'smsbat' | 'reach', body.quirks as SimQuirk[]);
        return { status: 204 };
      case 'POST /_sim/settle': {
        const ok = this.settle(body.provider as 'smsbat' | 'reach', String(body.messageId), body.result as 'delivered');
        return { status: ok ? 204 : 404 };
      }
      case 'POST /_sim/config':
        if ('smsbatWebhookUrl' in body) this.setSmsbatWebhookUrl(body.smsbatWebhookUrl as string | undefined);
        return { status: 204 };
      case 'POST /_sim/reset':
        this.reset();
        return { status: 204 };
      case 'GET /_sim/requests':
        return {
          status: 200,
          json: this.requests(provider).map(({ query, ...r }) => ({ ...r, query: String(query) })),
        };
      case 'GET /_sim/messages':
        return { status: 200, json: this.messages(provider) };
      default:
        return { status: 404, json: { error: `no such control endpoint: ${method} ${url.pathname}` } };
    }
  }
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  return new Simulator(options).start();
}

function send(res: ServerResponse, r: SimResponse): void {
  if (res.headersSent || res.destroyed) return;
  const headers: Record<string, string> = { ...r.headers };
  let payload: string | undefined;
  if (r.text !== undefined) payload = r.text;
  else if (r.json !== undefined) {
    payload = JSON.stringify(r.json);
    headers['content-type'] ??= 'application/json; charset=utf-8';
  }
  res.writeHead(r.status, headers);
  res.end(payload);
}
