import { randomUUID } from 'node:crypto';
import { type IncomingHttpHeaders } from 'node:http';
import { type ProviderSim, type SimContext } from './context';
import { smsbatSendResult, smsbatStatusAnswer, smsbatWebhook } from './quirks';
import { type ResolvedOutcome } from './scenario';
import { checkMessage, invalid, scheduledAt, type SmsbatError } from './smsbat-params';
import { countSmsParts } from './sms-parts';
import { type SimMessage, type SimOutcome, type SimRequest, type SimResponse } from './types';

export interface SmsbatSimConfig {
  apiKey: string;
  username: string;
  password: string;
  viberToken: string;
  tgBotKey: string;
  /** The account's one webhook URL (SMSBAT's account manager sets it, smsbat.md §3). */
  webhookUrl?: string;
  currency: string;
  /**
   * Whether the account has a fallback configured, which is when SMSBAT answers a final status in
   * the extended form (smsbat.md §2); otherwise the basic form. Default true. A rule's
   * `smsbat-status-basic` quirk asks for the basic form for its messages alone.
   */
  extendedStatus?: boolean;
}

type Route = 'standard' | 'tg-viber';

const SEND = /^\/api\/CascadeMessage\/send_message(\/tg-viber)?\/async$/;
const STATUS = /^\/bat\/message\/([^/]+)$/;
/** The order each send endpoint tries channels in (smsbat.md §1). */
const CASCADE: Record<Route, string[]> = {
  standard: ['telegram', 'viber', 'vbm', 'rcs', 'sms'],
  'tg-viber': ['telegram', 'viber', 'sms'],
};
/** Price per delivered part when the outcome names no cost. The page publishes no prices. */
const PRICE: Record<string, number> = { telegram: 0.01, viber: 0.03, vbm: 0.04, rcs: 0.04, sms: 0.05 };
/**
 * Our reading of the page's bulk guidance, "batches of 100–1000 messages" (smsbat.md §1): the
 * page documents no hard limit and no error for it, so above 1000 we answer TOO_MANY_MESSAGES.
 */
const MAX_MESSAGES = 1000;
/** setTimeout holds at most 2^31 − 1 ms (about 24.8 days); a longer wait goes in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface Message extends ResolvedOutcome {
  record: SimMessage;
  route: Route;
  /** `partscount`: from the text, as operators bill it; a flashcall is one. */
  parts: number;
  /** `ttl`, ms, when the message has one. */
  ttlMs?: number;
  /** Shared by every message of one request: the page calls it the batch identifier (§2). */
  messagelistId: number;
  final: boolean;
  /** The channel that delivered, once delivered. */
  channel?: string;
  /** Set with the final status; early states have none (§2). */
  cost?: number;
}

/**
 * SMSBAT as smsbat.md documents it: cascade sends on both endpoints, status checks with any of
 * three credentials, scheduled → processing → final in real time, and delivery webhooks. It checks
 * the page's rules on its own rather than with the client's schemas, so that a mistake in one
 * cannot hide in the other.
 */
export function createSmsbatSim(ctx: SimContext, config: SmsbatSimConfig): ProviderSim {
  let messages = new Map<string, Message>();
  let nextListId = 100_000;

  function later(ms: number, fn: () => void): void {
    if (ms > MAX_TIMER_MS) ctx.schedule(MAX_TIMER_MS, () => later(ms - MAX_TIMER_MS, fn));
    else ctx.schedule(ms, fn);
  }

  function send(req: SimRequest, route: Route): SimResponse {
    if (!sendAuthorized(req.headers, config)) return unauthorized('Invalid API key');
    const body = parseJson(req.rawBody);
    if (!Array.isArray(body) || body.length === 0) {
      return errorResponse(invalid('INVALID_BODY', 'The body must be a JSON array of messages'));
    }
    if (body.length > MAX_MESSAGES) {
      return errorResponse(invalid('TOO_MANY_MESSAGES', `At most ${MAX_MESSAGES} messages per request`));
    }
    const seen = new Set<string>();
    for (const m of body) {
      const problem = checkMessage(m, seen, ctx.now());
      if (problem) return errorResponse(problem);
    }
    // One refused recipient refuses the whole request, as any HTTP error answer would.
    const fields = body as Record<string, unknown>[];
    const decided: ResolvedOutcome[] = [];
    for (const m of fields) {
      const resolved = ctx.faults.shape(ctx.scenario.resolve('smsbat', m.toPhone as string));
      const o = resolved.outcome;
      if (o.kind === 'reject') {
        const code = o.code ?? codeFor(o.status);
        const message = o.echoText ? `text rejected: "${String(m.text)}"` : (o.message ?? `Rejected (${code})`);
        return errorResponse({ ...o, code, message });
      }
      decided.push(resolved);
    }
    const listId = nextListId++;
    return {
      status: 200,
      json: fields.map((m, i) => smsbatSendResult(accept(m, route, decided[i], listId), ctx.quirks(decided[i].quirks))),
    };
  }

  function accept(fields: Record<string, unknown>, route: Route, decided: ResolvedOutcome, listId: number) {
    const messageId = randomUUID();
    const message: Message = {
      record: {
        provider: 'smsbat',
        messageId,
        recipient: fields.toPhone as string,
        text: fields.text as string | undefined,
        trackingKey: fields.id as string,
        status: 'scheduled',
        acceptedAt: ctx.now(),
        fields,
      },
      route,
      ...decided,
      parts: typeof fields.text === 'string' ? countSmsParts(fields.text).parts : 1,
      ttlMs: typeof fields.ttl === 'number' ? fields.ttl * 1000 : undefined,
      messagelistId: listId,
      final: false,
    };
    messages.set(messageId, message);
    const startAt = fields.scheduledSent === undefined ? undefined : scheduledAt(fields.scheduledSent);
    const startIn = startAt === undefined ? 0 : startAt - ctx.now();
    // `scheduled` until `scheduledSent`; a time already past is sent now.
    if (startIn > 0) later(startIn, () => dispatch(message));
    else dispatch(message);
    return { messageId, trackinId: fields.id };
  }

  /**
   * `processing`, then the outcome's final status after its `afterMs` (0: final at once); a
   * `pending` outcome stays processing.
   *
   * `ttl` (smsbat.md §1, "time to live, seconds"): a message still not final when its ttl runs
   * out ends `undeliverable`, cost 0, and its webhook is sent like any final status. This is our
   * reading; the page names the field and recommended values but not what happens at expiry, and
   * `undeliverable` is its word for "delivery failed" (permanenterror is for queue errors). The
   * ttl counts from when sending starts, not from acceptance: the page pairs schedules up to 30
   * days ahead with promo ttls of 1–3 days, which could never be sent if the ttl ran from the
   * request. It applies to `pending` outcomes too: they stand for a provider that never reports by
   * itself, and the ttl is the provider's own rule that ends them.
   */
  function dispatch(m: Message): void {
    if (m.final) return;
    const o = m.outcome;
    const finalIn = o.kind === 'deliver' || o.kind === 'fail' ? (o.afterMs ?? ctx.deliveryDelayMs) : undefined;
    if (finalIn !== undefined && finalIn <= 0) return finish(m, o);
    setStatus(m, 'processing');
    if (finalIn !== undefined) later(finalIn, () => finish(m, o));
    if (m.ttlMs !== undefined && (finalIn === undefined || finalIn > m.ttlMs)) {
      later(m.ttlMs, () => finish(m, { kind: 'fail', status: 'undeliverable' }));
    }
  }

  function finish(m: Message, o: SimOutcome, forced = false): void {
    if (m.final) return;
    m.final = true;
    if (o.kind === 'deliver') {
      m.channel = o.channel ?? 'viber';
      m.cost = o.cost ?? roundCost((PRICE[m.channel] ?? PRICE.sms) * m.parts);
      setStatus(m, 'delivered', forced);
    } else {
      m.cost = 0; // undeliverable and permanenterror cost nothing (§2)
      setStatus(m, (o.kind === 'fail' && o.status) || 'undeliverable', forced);
    }
  }

  /** Each change to processing and to the final status is POSTed to the account's webhook (§3). */
  function setStatus(m: Message, deliverystatus: string, forced = false): void {
    m.record.status = deliverystatus;
    const url = config.webhookUrl;
    if (!url || (m.receipt === 'withhold' && !forced)) return;
    const body = smsbatWebhook(
      {
        messageId: m.record.messageId,
        deliverystatus,
        timestamp: new Date(ctx.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        cost: m.cost,
      },
      ctx.quirks(m.quirks),
    );
    ctx.postReceipt(url, { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  }

  function status(req: SimRequest, messageId: string): SimResponse {
    if (!statusAuthorized(req.headers, config)) return unauthorized('Invalid credentials');
    const m = messages.get(messageId);
    if (!m) return errorResponse({ status: 404, code: 'NOT_FOUND', message: 'Message not found', field: 'messageId' });
    return { status: 200, json: statusBody(m) };
  }

  /**
   * Early states answer the short form (§2). Final ones answer the basic form, or the extended one
   * when the account has a fallback configured (`extendedStatus`, on by default) and the message's
   * rule does not ask for the basic form (`smsbat-status-basic`).
   */
  function statusBody(m: Message): Record<string, unknown> {
    const quirks = ctx.quirks(m.quirks);
    const deliverystatus = m.record.status;
    if (!m.final) return smsbatStatusAnswer({ deliverystatus, partscount: m.parts }, quirks);
    const cost = m.cost ?? 0;
    const basic = {
      messagelistId: m.messagelistId,
      messageId: m.record.messageId,
      deliverystatus,
      partscount: m.parts,
      cost,
    };
    const extended = (config.extendedStatus ?? true) && !quirks.has('smsbat-status-basic');
    return smsbatStatusAnswer(extended ? { ...basic, ...extendedPart(m, cost) } : basic, quirks);
  }

  /**
   * The fields the extended form adds: what each channel of the cascade did, and the billing. The
   * page's example is one part, where rate and bill are the same 0.05; we read `rate` and
   * `rateAmount` as the price of one part and `billAmount` as the message's cost.
   */
  function extendedPart(m: Message, cost: number): Record<string, unknown> {
    const extendedStatuses = cascadeStatuses(m.route, m.channel);
    const rate = roundCost(cost / m.parts);
    return {
      fallbacks: Object.entries(extendedStatuses)
        .slice(1)
        .map(([type, status]) => ({ type, status })),
      extendedStatuses,
      rate,
      rateAmount: rate,
      rateCurrency: config.currency,
      billAmount: cost,
      billCurrency: config.currency,
    };
  }

  return {
    provider: 'smsbat',
    matches: (path) => SEND.test(path) || STATUS.test(path),
    handle(req) {
      const sendPath = SEND.exec(req.path);
      if (sendPath)
        return req.method === 'POST' ? send(req, sendPath[1] ? 'tg-viber' : 'standard') : notAllowed('POST');
      const statusPath = STATUS.exec(req.path);
      return req.method === 'GET' ? status(req, decodeURIComponent(statusPath![1])) : notAllowed('GET');
    },
    errorResponse: (status, retryAfterSec) =>
      errorResponse({
        status,
        code: codeFor(status),
        message: status === 429 ? 'Too many requests' : 'Server error',
        retryAfterSec,
      }),
    settle(messageId, result) {
      const m = messages.get(messageId);
      if (!m) return false;
      const o = m.outcome;
      if (result === 'delivered') finish(m, o.kind === 'deliver' ? o : { kind: 'deliver' }, true);
      else finish(m, o.kind === 'fail' ? o : { kind: 'fail' }, true);
      return true;
    },
    messages: () => [...messages.values()].map((m) => ({ ...m.record })),
    reset() {
      messages = new Map();
    },
  };
}

/** At least one of the three headers, with a value that is right (§1); any right one will do. */
function sendAuthorized(h: IncomingHttpHeaders, c: SmsbatSimConfig): boolean {
  return (
    same(h['x-authorization-key'], c.apiKey) ||
    same(h['x-viber-auth-token'], c.viberToken) ||
    same(h['x-tg-bot-key'], c.tgBotKey)
  );
}

/** The API key header, Basic `username:password`, or Basic `@:<api key>` (§2). */
function statusAuthorized(h: IncomingHttpHeaders, c: SmsbatSimConfig): boolean {
  if (same(h['x-authorization-key'], c.apiKey)) return true;
  const [scheme, token] = (h.authorization ?? '').split(' ');
  if (scheme.toLowerCase() !== 'basic' || !token) return false;
  const decoded = Buffer.from(token, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  const [user, password] = [decoded.slice(0, colon), decoded.slice(colon + 1)];
  return (same(user, c.username) && same(password, c.password)) || (user === '@' && same(password, c.apiKey));
}

function same(given: string | string[] | undefined, expected: string): boolean {
  return expected !== '' && given === expected;
}

/**
 * What each channel did, as `extendedStatuses` reports it: the channels before the one that
 * delivered failed, later ones were not used; a failed message failed on every channel. A scripted
 * channel outside the route's cascade is reported after it.
 */
function cascadeStatuses(route: Route, delivered: string | undefined): Record<string, string> {
  const cascade = CASCADE[route];
  const channels = delivered === undefined || cascade.includes(delivered) ? cascade : [...cascade, delivered];
  const at = delivered === undefined ? channels.length : channels.indexOf(delivered);
  return Object.fromEntries(
    channels.map((c, i) => [c, i < at ? 'undeliverable' : i === at ? 'delivered' : 'not_used']),
  );
}

/** `{"error":{"code","message","field"}}` (§1); a 429 says when to come back. */
function errorResponse({ status, code, message, field, retryAfterSec }: SmsbatError): SimResponse {
  return {
    status,
    headers: status === 429 ? { 'retry-after': String(retryAfterSec ?? 1) } : undefined,
    json: { error: { code, message, ...(field === undefined ? {} : { field }) } },
  };
}

function unauthorized(message: string): SimResponse {
  return errorResponse({ status: 401, code: 'UNAUTHORIZED', message });
}

function notAllowed(method: string): SimResponse {
  return {
    ...errorResponse({ status: 405, code: 'METHOD_NOT_ALLOWED', message: `${method} only` }),
    headers: { allow: method },
  };
}

function codeFor(status: number): string {
  if (status === 429) return 'TOO_MANY_REQUESTS';
  if (status === 401 || status === 403) return 'UNAUTHORIZED';
  if (status >= 500) return 'SERVER_ERROR';
  return 'INVALID_REQUEST';
}

/** Money to a millionth, so that 3 × 0.05 is 0.15 and not 0.15000000000000002. */
function roundCost(amount: number): number {
  return Math.round(amount * 1e6) / 1e6;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
