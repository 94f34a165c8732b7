import { randomUUID } from 'node:crypto';
import { type ProviderSim, type SimContext } from './context';
import { type ReceiptMode, type SimMessage, type SimOutcome, type SimRequest, type SimResponse } from './types';

export interface SmsbatSimConfig {
  apiKey: string;
  username: string;
  password: string;
  viberToken: string;
  tgBotKey: string;
  /** The account's one webhook URL (set by SMSBAT's account manager in real life). */
  webhookUrl?: string;
  currency: string;
}

const SEND = /^\/api\/CascadeMessage\/send_message(\/tg-viber)?\/async$/;
const STATUS = /^\/bat\/message\/([^/]+)$/;
const CHANNELS = { standard: ['telegram', 'viber', 'vbm', 'rcs', 'sms'], 'tg-viber': ['telegram', 'viber', 'sms'] };
const PRICE: Record<string, number> = { telegram: 0.01, viber: 0.03, vbm: 0.04, rcs: 0.04, sms: 0.05 };
const TYPES = new Set(['transaction', 'promo', 'viber_survey', 'flashcall']);
/** Our reading of the page's "batches of 100–1000 messages" guidance (smsbat.md §1). */
const MAX_MESSAGES = 1000;

interface Message {
  record: SimMessage;
  route: keyof typeof CHANNELS;
  outcome: SimOutcome;
  receipt: ReceiptMode;
  messagelistId: number;
  channel?: string;
  cost?: number;
  final: boolean;
}

type Problem = { status: number; code: string; message: string; field?: string };

/** SMSBAT as smsbat.md documents it: cascade sends, status checks, delivery webhooks. */
export function createSmsbatSim(ctx: SimContext, config: SmsbatSimConfig): ProviderSim {
  let messages = new Map<string, Message>();
  const trackingIds = new Set<string>();
  let listSeq = 100000;

  const error = (p: Problem, headers?: Record<string, string>): SimResponse => ({
    status: p.status,
    headers,
    json: { error: { code: p.code, message: p.message, ...(p.field ? { field: p.field } : {}) } },
  });

  function sendAuthorized(req: SimRequest): boolean {
    const h = req.headers;
    return (
      h['x-authorization-key'] === config.apiKey ||
      h['x-viber-auth-token'] === config.viberToken ||
      h['x-tg-bot-key'] === config.tgBotKey
    );
  }

  function statusAuthorized(req: SimRequest): boolean {
    if (req.headers['x-authorization-key'] === config.apiKey) return true;
    const auth = req.headers.authorization;
    if (!auth?.startsWith('Basic ')) return false;
    const decoded = Buffer.from(auth.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const [user, pass] = [decoded.slice(0, colon), decoded.slice(colon + 1)];
    return (user === config.username && pass === config.password) || (user === '@' && pass === config.apiKey);
  }

  function validate(m: Record<string, unknown>, seen: Set<string>): Problem | undefined {
    const bad = (code: string, message: string, field: string): Problem => ({ status: 400, code, message, field });
    for (const field of ['id', 'fromName', 'toPhone', 'messageType']) {
      if (typeof m[field] !== 'string' || m[field] === '') return bad('MISSING_FIELD', `${field} is required`, field);
    }
    const id = m.id as string;
    if (id.length >= 255 || !/^[A-Za-z0-9._:-]+$/.test(id)) return bad('INVALID_ID', 'Invalid tracking id', 'id');
    if (seen.has(id) || trackingIds.has(id)) return bad('DUPLICATE_ID', 'Tracking id already used', 'id');
    if (!/^\+[1-9]\d{7,14}$/.test(m.toPhone as string))
      return bad('INVALID_PHONE', 'Invalid phone number format', 'toPhone');
    const type = m.messageType as string;
    if (!TYPES.has(type)) return bad('INVALID_MESSAGE_TYPE', 'Unknown message type', 'messageType');
    if (type === 'flashcall') {
      if (m.text !== undefined) return bad('INVALID_FIELD', 'A flashcall has no text', 'text');
    } else if (typeof m.text !== 'string' || m.text === '') return bad('MISSING_FIELD', 'text is required', 'text');
    if (type === 'viber_survey') {
      const options = m.surveyOptions;
      if (
        !Array.isArray(options) ||
        options.length < 2 ||
        options.length > 5 ||
        options.some((o) => typeof o !== 'string')
      ) {
        return bad('INVALID_SURVEY', 'A survey needs 2 to 5 options', 'surveyOptions');
      }
      if ((m.text as string).length > 85) return bad('TEXT_TOO_LONG', 'Survey text is at most 85 characters', 'text');
    }
    if (m.ttl !== undefined && (!Number.isInteger(m.ttl) || (m.ttl as number) <= 0)) {
      return bad('INVALID_TTL', 'ttl must be a positive integer (seconds)', 'ttl');
    }
    if (m.scheduledSent !== undefined) {
      const at = typeof m.scheduledSent === 'string' ? Date.parse(m.scheduledSent) : NaN;
      if (Number.isNaN(at)) return bad('INVALID_SCHEDULE', 'scheduledSent must be ISO 8601', 'scheduledSent');
      if (at > ctx.now() + 30 * 86_400_000) {
        return bad('INVALID_SCHEDULE', 'scheduledSent is more than 30 days ahead', 'scheduledSent');
      }
    }
    return undefined;
  }

  function send(req: SimRequest, route: keyof typeof CHANNELS): SimResponse {
    if (!sendAuthorized(req)) return error({ status: 401, code: 'UNAUTHORIZED', message: 'Invalid API key' });
    let body: unknown;
    try {
      body = JSON.parse(req.rawBody);
    } catch {
      return error({ status: 400, code: 'INVALID_JSON', message: 'Body is not valid JSON' });
    }
    if (!Array.isArray(body) || body.length === 0) {
      return error({ status: 400, code: 'INVALID_BODY', message: 'Body must be a non-empty array of messages' });
    }
    if (body.length > MAX_MESSAGES) {
      return error({ status: 400, code: 'TOO_MANY_MESSAGES', message: `At most ${MAX_MESSAGES} messages per request` });
    }
    const seen = new Set<string>();
    for (const m of body) {
      if (typeof m !== 'object' || m === null)
        return error({ status: 400, code: 'INVALID_BODY', message: 'Not a message' });
      const problem = validate(m as Record<string, unknown>, seen);
      if (problem) return error(problem);
      seen.add((m as { id: string }).id);
    }
    const decided = body.map((m: Record<string, unknown>) => ({
      m,
      ...ctx.scenario.resolve('smsbat', m.toPhone as string),
    }));
    const rejected = decided.find((d) => d.outcome.kind === 'reject');
    if (rejected && rejected.outcome.kind === 'reject') {
      const o = rejected.outcome;
      return error(
        { status: o.status, code: o.code ?? codeFor(o.status), message: o.message ?? 'Rejected', field: o.field },
        o.status === 429 ? { 'retry-after': String(o.retryAfterSec ?? 1) } : undefined,
      );
    }
    return {
      status: 200,
      json: decided.map(({ m, outcome, receipt }) => {
        const messageId = randomUUID();
        const message: Message = {
          record: {
            provider: 'smsbat',
            messageId,
            recipient: m.toPhone as string,
            text: m.text as string | undefined,
            trackingKey: m.id as string,
            status: 'scheduled',
            acceptedAt: ctx.now(),
            fields: m,
          },
          route,
          outcome,
          receipt,
          messagelistId: listSeq++,
          final: false,
        };
        messages.set(messageId, message);
        trackingIds.add(m.id as string);
        progress(message, m.scheduledSent as string | undefined);
        return { messageId, trackinId: m.id };
      }),
    };
  }

  /** scheduled → processing → final, on the simulator's clock. */
  function progress(message: Message, scheduledSent: string | undefined): void {
    const startIn = scheduledSent ? Math.max(0, Date.parse(scheduledSent) - ctx.now()) : 0;
    const o = message.outcome;
    const finalIn = o.kind === 'deliver' || o.kind === 'fail' ? (o.afterMs ?? ctx.deliveryDelayMs) : undefined;
    if (startIn === 0 && finalIn === 0) return finish(message, o);
    ctx.schedule(startIn, () => {
      if (message.final) return;
      setStatus(message, 'processing');
      if (finalIn !== undefined) ctx.schedule(finalIn, () => finish(message, o));
    });
  }

  function finish(message: Message, outcome: SimOutcome, forced = false): void {
    if (message.final) return;
    if (outcome.kind === 'deliver') {
      message.channel = outcome.channel ?? 'viber';
      message.cost = outcome.cost ?? PRICE[message.channel] ?? 0.05;
      setStatus(message, 'delivered', forced);
    } else {
      message.cost = 0;
      setStatus(message, outcome.kind === 'fail' && outcome.status ? outcome.status : 'undeliverable', forced);
    }
    message.final = true;
  }

  function setStatus(message: Message, status: string, forced = false): void {
    message.record.status = status;
    if (!config.webhookUrl || (message.receipt === 'withhold' && !forced)) return;
    ctx.postReceipt(config.webhookUrl, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        messageId: message.record.messageId,
        deliverystatus: status,
        timestamp: new Date(ctx.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        ...(message.cost !== undefined ? { cost: message.cost } : {}),
      }),
    });
  }

  function status(req: SimRequest, id: string): SimResponse {
    if (!statusAuthorized(req)) return error({ status: 401, code: 'UNAUTHORIZED', message: 'Invalid credentials' });
    const message = messages.get(id);
    if (!message) return error({ status: 404, code: 'NOT_FOUND', message: 'Message not found', field: 'messageId' });
    const s = message.record.status;
    if (!message.final) return { status: 200, json: { deliverystatus: s, partscount: 1 } };
    const channels = CHANNELS[message.route];
    const used = message.channel ? channels.indexOf(message.channel) : channels.length;
    const extendedStatuses = Object.fromEntries(
      channels.map((c, i) => [
        c,
        i < used ? 'undeliverable' : i === used ? 'delivered' : s === 'delivered' ? 'not_used' : 'undeliverable',
      ]),
    );
    const cost = message.cost ?? 0;
    return {
      status: 200,
      json: {
        messagelistId: message.messagelistId,
        messageId: message.record.messageId,
        deliverystatus: s,
        partscount: 1,
        cost,
        fallbacks: channels.slice(1).map((type) => ({ type, status: extendedStatuses[type] })),
        extendedStatuses,
        rate: cost,
        rateAmount: cost,
        rateCurrency: config.currency,
        billAmount: cost,
        billCurrency: config.currency,
      },
    };
  }

  return {
    provider: 'smsbat',
    matches: (path) => SEND.test(path) || STATUS.test(path),
    handle(req) {
      const send_ = SEND.exec(req.path);
      if (send_) {
        if (req.method !== 'POST') return error({ status: 405, code: 'METHOD_NOT_ALLOWED', message: 'POST only' });
        return send(req, send_[1] ? 'tg-viber' : 'standard');
      }
      const status_ = STATUS.exec(req.path);
      if (req.method !== 'GET') return error({ status: 405, code: 'METHOD_NOT_ALLOWED', message: 'GET only' });
      return status(req, decodeURIComponent(status_![1]));
    },
    errorResponse(code, retryAfterSec) {
      return error(
        { status: code, code: codeFor(code), message: code === 429 ? 'Too many requests' : 'Server error' },
        code === 429 ? { 'retry-after': String(retryAfterSec ?? 1) } : undefined,
      );
    },
    settle(messageId, result) {
      const message = messages.get(messageId);
      if (!message) return false;
      finish(message, result === 'delivered' ? { kind: 'deliver' } : { kind: 'fail' }, true);
      return true;
    },
    messages: () => [...messages.values()].map((m) => m.record),
    reset() {
      messages = new Map();
      trackingIds.clear();
    },
  };
}

function codeFor(status: number): string {
  if (status === 429) return 'TOO_MANY_REQUESTS';
  if (status === 401) return 'UNAUTHORIZED';
  if (status >= 500) return 'SERVER_ERROR';
  return 'INVALID_REQUEST';
}
