import { createHash, randomBytes } from 'node:crypto';
import { type ProviderSim, type SimContext } from './context';
import { reachCallback, reachItem, reachListPage } from './quirks';
import { checkBody, checkCreateParams } from './reach-params';
import { signReachCallback } from './reach-signature';
import { countSmsParts } from './sms-parts';
import { type ReceiptMode, type SimMessage, type SimOutcome, type SimQuirk, type SimResponse } from './types';

export interface ReachSimConfig {
  apiUser: string;
  apiKey: string;
  /** The applet's currency, answered as `priceUnit`. Default 'usd'. */
  currency?: string;
  /** Price of one segment in that currency. Default 0.05. */
  pricePerSegment?: number;
}

/**
 * Reach documents no error codes (reach.md, "Errors"): these are the simulator's, stable so tests
 * can assert them, numbered like those of the API Reach mirrors.
 */
export const REACH_SIM_CODES = {
  invalidParameter: 21000,
  notScheduled: 21001,
  unauthorized: 20003,
  notFound: 20404,
  tooManyRequests: 20429,
  serverError: 20500,
  /** `failed`: still queued when `validityPeriod` ran out. */
  validityExpired: 30001,
  /** `undelivered`: the operator could not deliver (the scenario's `fail` outcomes). */
  unreachable: 30003,
  /** `failed`: the real cost is above `maxPrice`. */
  priceAboveMax: 30010,
} as const;

/** A MessagingItem, with the seed's fields and types (reach.md, "Send or schedule a message"). */
interface MessagingItem {
  appletId: string;
  apiVersion: string;
  body: string;
  dest: string;
  src: string;
  bulkId: string | null;
  numSegments: number;
  numMedia: number;
  price: number | null;
  priceUnit: string | null;
  messageId: string;
  status: string;
  messageType: 'outbound';
  errorCode: number | null;
  errorMessage: string | null;
  dateCreated: string;
  dateSent: string | null;
  dateUpdated: string;
}

interface Message {
  item: MessagingItem;
  record: SimMessage;
  outcome: SimOutcome;
  receipt: ReceiptMode;
  quirks: readonly SimQuirk[];
  statusCallback?: string;
  maxPrice?: number;
  validityMs: number;
  final: boolean;
}

const BASE = '/rest/messaging/v1/';
const CALLBACK_FIELDS = [
  'messageId',
  'src',
  'dest',
  'body',
  'bulkId',
  'numSegments',
  'numMedia',
  'errorCode',
  'errorMessage',
] as const;

/** Reach's messaging API as reach.md documents it, with its lifecycle and signed status callbacks. */
export function createReachSim(ctx: SimContext, config: ReachSimConfig): ProviderSim {
  let messages = new Map<string, Message>();
  const currency = config.currency ?? 'usd';
  const pricePerSegment = config.pricePerSegment ?? 0.05;
  const appletId = `AID${createHash('md5').update(config.apiUser).digest('hex')}`;
  const iso = () => new Date(ctx.now()).toISOString();
  const priceOf = (segments: number) => Math.round(segments * pricePerSegment * 1e6) / 1e6;

  function error(status: number, code: number, message: string, field?: string, retryAfterSec?: number): SimResponse {
    return {
      status,
      headers: status === 429 ? { 'retry-after': String(retryAfterSec ?? 1) } : undefined,
      json: {
        errorCode: code,
        errorMessage: message,
        more_info: `sim://reach/errors/${code}`,
        errorDetails: field ? { field } : {},
      },
    };
  }

  /** A MessagingItem as it is answered, with the message's quirks. */
  const answer = (m: Message) => reachItem(m.item, ctx.quirks(m.quirks));

  function create(form: URLSearchParams): SimResponse {
    const checked = checkCreateParams(form, ctx.now());
    if (!checked.ok) return invalid(checked.field, checked.message);
    const p = checked.params;
    const { outcome, receipt, quirks } = ctx.faults.shape(ctx.scenario.resolve('reach', p.dest));
    if (outcome.kind === 'reject') {
      const code = Number(outcome.code) || codeFor(outcome.status);
      const message = outcome.echoText ? `body rejected: "${p.body}"` : (outcome.message ?? 'Rejected');
      return error(outcome.status, code, message, outcome.field, outcome.retryAfterSec);
    }
    const now = iso();
    const numSegments = countSmsParts(p.body).parts;
    // A scheduled message is not priced or sent yet (the seed's example 2); an immediate one is
    // priced and handed to the queue at once (example 1 has price, priceUnit and dateSent).
    const { scheduledAt } = p;
    const immediate = scheduledAt === undefined;
    const item: MessagingItem = {
      appletId,
      apiVersion: '1.0.0',
      body: p.body,
      dest: p.dest,
      src: p.src,
      bulkId: p.bulkIdentifier ?? null,
      numSegments,
      numMedia: 0,
      price: immediate ? priceOf(numSegments) : null,
      priceUnit: immediate ? currency : null,
      messageId: `MID${randomBytes(16).toString('hex')}`,
      status: immediate ? 'queued' : 'scheduled',
      messageType: 'outbound',
      errorCode: null,
      errorMessage: null,
      dateCreated: now,
      dateSent: immediate ? now : null,
      dateUpdated: now,
    };
    const message: Message = {
      item,
      record: {
        provider: 'reach',
        messageId: item.messageId,
        recipient: p.dest,
        text: p.body,
        trackingKey: p.bulkIdentifier,
        status: item.status,
        acceptedAt: ctx.now(),
        fields: Object.fromEntries(form),
      },
      outcome,
      receipt,
      quirks,
      statusCallback: p.statusCallback,
      maxPrice: p.maxPrice,
      validityMs: (p.validityPeriod ?? 14_400) * 1000,
      final: false,
    };
    messages.set(item.messageId, message);
    if (scheduledAt !== undefined) {
      ctx.schedule(scheduledAt - ctx.now(), () => enqueue(message));
    } else {
      // The create itself is the change to `queued`. Timers run after this answer is written, so
      // its callback never overtakes the answer.
      ctx.schedule(0, () => {
        notify(message);
        dispatch(message);
      });
    }
    return { status: 200, json: answer(message) };
  }

  /** At its `scheduledTime` a message is priced and queued like an immediate one. */
  function enqueue(m: Message): void {
    if (m.final) return;
    Object.assign(m.item, { price: priceOf(m.item.numSegments), priceUnit: currency, dateSent: iso() });
    setStatus(m, 'queued');
    dispatch(m);
  }

  /**
   * queued → sent → the outcome's final status after its `afterMs` (0: at once). The simulator's
   * queue is instant, so an outcome slower than `validityPeriod` stands for an operator that does
   * not take the message in time: it stays queued and fails when the period runs out.
   */
  function dispatch(m: Message): void {
    if (m.final) return;
    if (m.maxPrice !== undefined && (m.item.price ?? 0) > m.maxPrice) {
      return finish(m, 'failed', REACH_SIM_CODES.priceAboveMax, `Price ${m.item.price} is above maxPrice`);
    }
    const o = m.outcome;
    const finalIn = o.kind === 'deliver' || o.kind === 'fail' ? (o.afterMs ?? ctx.deliveryDelayMs) : undefined;
    if (finalIn !== undefined && finalIn > m.validityMs) {
      const expire = () => finish(m, 'failed', REACH_SIM_CODES.validityExpired, 'validityPeriod elapsed in the queue');
      return ctx.schedule(m.validityMs, expire);
    }
    setStatus(m, 'sent');
    if (finalIn === undefined) return; // `pending` outcomes stop at sent
    const settle = () =>
      o.kind === 'deliver'
        ? finish(m, 'delivered')
        : finish(m, (o.kind === 'fail' && o.status) || 'undelivered', failCode(o), 'Unreachable destination handset');
    if (finalIn === 0) settle();
    else ctx.schedule(finalIn, settle);
  }

  function finish(m: Message, status: string, errorCode?: number, errorMessage?: string, forced = false): void {
    if (m.final) return;
    m.final = true;
    if (errorCode !== undefined) Object.assign(m.item, { errorCode, errorMessage: errorMessage ?? null });
    setStatus(m, status, forced);
  }

  function setStatus(m: Message, status: string, forced = false): void {
    m.item.status = status;
    m.item.dateUpdated = iso();
    m.record.status = status;
    notify(m, forced);
  }

  /**
   * The signed status callback (reach.md, "Status callbacks"): form fields of the MessagingItem,
   * null ones left out, and `dlrDate` once an operator gave a final status (never for `canceled`).
   * Quirks change the parameters before they are signed: the signature always covers what is sent.
   */
  function notify(m: Message, forced = false): void {
    const { item, statusCallback } = m;
    if (!statusCallback || (m.receipt === 'withhold' && !forced) || item.status === 'scheduled') return;
    const now = ctx.now();
    const fields: Record<string, string> = { status: item.status };
    for (const key of CALLBACK_FIELDS) {
      if (item[key] !== null) fields[key] = String(item[key]);
    }
    if (m.final && item.status !== 'canceled') fields.dlrDate = dlrDate(now);
    const params = reachCallback(fields, ctx.quirks(m.quirks), now);
    ctx.postReceipt(statusCallback, {
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-reach-signature': signReachCallback(config.apiKey, statusCallback, params),
      },
      body: new URLSearchParams(params).toString(),
    });
  }

  /** Filters on exact dest/src/bulkIdentifier and on `dateSent` (never-sent messages match no date filter). */
  function list(q: URLSearchParams): SimResponse {
    const page = q.has('page') ? Number(q.get('page')) : 0;
    const pageSize = q.has('pageSize') ? Number(q.get('pageSize')) : 20;
    if (!Number.isInteger(page) || page < 0) return invalid('page', 'page must be a whole number from 0');
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) {
      return invalid('pageSize', 'pageSize must be a whole number from 1 to 1000');
    }
    const dates: Record<string, number> = {};
    for (const key of ['sentAt', 'sentAfter', 'sentBefore']) {
      const value = q.get(key);
      if (value === null) continue;
      dates[key] = Date.parse(value);
      if (Number.isNaN(dates[key])) return invalid(key, `${key} must be an ISO 8601 date-time`);
    }
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    const matching = [...messages.values()].filter(({ item }) => {
      const sent = item.dateSent === null ? undefined : Date.parse(item.dateSent);
      const same = (key: 'dest' | 'src', value: string | null) => value === null || item[key] === value;
      return (
        same('dest', q.get('dest')) &&
        same('src', q.get('src')) &&
        (!q.has('bulkIdentifier') || item.bulkId === q.get('bulkIdentifier')) &&
        (dates.sentAt === undefined || (sent !== undefined && day(sent) === day(dates.sentAt))) &&
        (dates.sentAfter === undefined || (sent !== undefined && sent >= dates.sentAfter)) &&
        (dates.sentBefore === undefined || (sent !== undefined && sent <= dates.sentBefore))
      );
    });
    const totalPages = Math.ceil(matching.length / pageSize);
    return {
      status: 200,
      json: reachListPage(
        {
          messages: matching.slice(page * pageSize, (page + 1) * pageSize).map(answer),
          page,
          pageSize,
          totalPages,
          outOfPageRange: page >= totalPages,
        },
        ctx.quirks([]),
      ),
    };
  }

  function onScheduled(m: Message, change: () => void): SimResponse {
    if (m.item.status !== 'scheduled') {
      const why = `Message ${m.item.messageId} is ${m.item.status}: only a scheduled message can change`;
      return error(400, REACH_SIM_CODES.notScheduled, why, 'messageId');
    }
    change();
    return { status: 200, json: answer(m) };
  }

  function update(m: Message, body: string | null): SimResponse {
    const problem = checkBody(body ?? undefined);
    if (problem) return invalid(problem.field, problem.message);
    const text = body!;
    return onScheduled(m, () => {
      Object.assign(m.item, { body: text, numSegments: countSmsParts(text).parts });
      m.item.dateUpdated = iso();
      m.record.text = text;
    });
  }

  function invalid(field: string, message: string): SimResponse {
    return error(400, REACH_SIM_CODES.invalidParameter, message, field);
  }

  function withMessage(id: string | null, then: (m: Message) => SimResponse): SimResponse {
    if (!id) return invalid('messageId', 'messageId is required');
    const m = messages.get(id);
    return m ? then(m) : error(404, REACH_SIM_CODES.notFound, `Message ${id} not found`, 'messageId');
  }

  return {
    provider: 'reach',
    matches: (path) => path.startsWith(BASE),
    handle(req) {
      if (req.headers.apiuser !== config.apiUser || req.headers.apikey !== config.apiKey) {
        return error(401, REACH_SIM_CODES.unauthorized, 'Authentication failed: check the ApiUser and ApiKey headers');
      }
      const form = new URLSearchParams(req.rawBody);
      switch (`${req.method} ${req.path.slice(BASE.length)}`) {
        case 'POST create':
          return create(form);
        case 'GET fetch':
          return withMessage(req.query.get('messageId'), (m) => ({ status: 200, json: answer(m) }));
        case 'GET list':
          return list(req.query);
        case 'POST unschedule':
          return withMessage(form.get('messageId'), (m) => onScheduled(m, () => finish(m, 'canceled')));
        case 'POST update':
          return withMessage(form.get('messageId'), (m) => update(m, form.get('body')));
        case 'DELETE delete':
          // Deleting the record also ends its lifecycle: no callback follows (our choice; reach.md is silent).
          return withMessage(req.query.get('messageId'), (m) => {
            m.final = true;
            messages.delete(m.item.messageId);
            return { status: 204 };
          });
        default:
          return error(404, REACH_SIM_CODES.notFound, `No such operation: ${req.method} ${req.path}`);
      }
    },
    errorResponse(status, retryAfterSec) {
      const message = status === 429 ? 'Too Many Requests: above the concurrency limit' : 'Internal Server Error';
      return error(status, codeFor(status), message, undefined, retryAfterSec);
    },
    settle(messageId, result) {
      const m = messages.get(messageId);
      if (!m) return false;
      if (m.item.status === 'scheduled') {
        Object.assign(m.item, { price: priceOf(m.item.numSegments), priceUnit: currency, dateSent: iso() });
      }
      if (result === 'delivered') finish(m, 'delivered', undefined, undefined, true);
      else finish(m, 'undelivered', REACH_SIM_CODES.unreachable, 'Unreachable destination handset', true);
      return true;
    },
    messages: () => [...messages.values()].map((m) => ({ ...m.record })),
    reset() {
      messages = new Map();
    },
  };
}

function codeFor(status: number): number {
  if (status === 429) return REACH_SIM_CODES.tooManyRequests;
  if (status === 401 || status === 403) return REACH_SIM_CODES.unauthorized;
  if (status === 404) return REACH_SIM_CODES.notFound;
  if (status >= 500) return REACH_SIM_CODES.serverError;
  return REACH_SIM_CODES.invalidParameter;
}

function failCode(o: SimOutcome): number {
  return (o.kind === 'fail' && Number(o.errorCode)) || REACH_SIM_CODES.unreachable;
}

/** `YYMMDDhhmm` in UTC (reach.md, "Status callbacks"). */
function dlrDate(ms: number): string {
  const d = new Date(ms).toISOString(); // 2025-01-23T10:30:…
  return d.slice(2, 4) + d.slice(5, 7) + d.slice(8, 10) + d.slice(11, 13) + d.slice(14, 16);
}
