import { randomBytes } from 'node:crypto';
import { computeReachSignature } from '../providers/reach/signature';
import { countSegments } from '../providers/reach/segments';
import { type ProviderSim, type SimContext } from './context';
import { type ReceiptMode, type SimMessage, type SimOutcome, type SimRequest, type SimResponse } from './types';

export interface ReachSimConfig {
  apiUser: string;
  apiKey: string;
  /** Applet currency (`priceUnit`). Default 'usd'. */
  currency?: string;
  pricePerSegment?: number;
}

const BASE = '/rest/messaging/v1/';
const E164 = /^\+[1-9]\d{7,14}$/;
/** Our choice of error codes (the seed names none): 400 validation, 401 auth, 404 unknown id. */
const CODES = {
  validation: 21211,
  auth: 20003,
  notFound: 20404,
  state: 21610,
  rate: 20429,
  server: 20500,
  price: 30007,
};

interface Item {
  record: SimMessage;
  json: Record<string, unknown>;
  outcome: SimOutcome;
  receipt: ReceiptMode;
  statusCallback?: string;
  final: boolean;
}

/** Reach as reach.md documents it: create/fetch/list/unschedule/update/delete and signed callbacks. */
export function createReachSim(ctx: SimContext, config: ReachSimConfig): ProviderSim {
  let items = new Map<string, Item>();
  const currency = config.currency ?? 'usd';
  const price = config.pricePerSegment ?? 0.04;

  const error = (
    status: number,
    errorCode: number,
    errorMessage: string,
    field?: string,
    headers?: Record<string, string>,
  ): SimResponse => ({
    status,
    headers,
    json: {
      errorCode,
      errorMessage,
      more_info: `https://docs.reach.talkylabs.com/errors/${errorCode}`,
      errorDetails: field ? { field } : {},
    },
  });
  const invalid = (field: string, message: string) => error(400, CODES.validation, message, field);

  function create(req: SimRequest): SimResponse {
    const form = new URLSearchParams(req.rawBody);
    const get = (k: string) => form.get(k) ?? undefined;
    const dest = get('dest');
    const src = get('src');
    const body = get('body');
    if (!dest) return invalid('dest', 'dest is required');
    if (!E164.test(dest)) return invalid('dest', 'dest must be an E.164 phone number');
    if (!src) return invalid('src', 'src is required');
    if (!E164.test(src) && !/^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$/.test(src))
      return invalid('src', 'src must be E.164 or a sender id');
    if (!body) return invalid('body', 'body is required');
    const seg = countSegments(body);
    if (seg.segments > 10 || (seg.encoding === 'GSM-7' && seg.units > 1600))
      return invalid('body', 'body exceeds 10 segments');
    const scheduledTime = get('scheduledTime');
    let scheduledAt: number | undefined;
    if (scheduledTime !== undefined) {
      scheduledAt = Date.parse(scheduledTime);
      if (Number.isNaN(scheduledAt) || !/^\d{4}-\d{2}-\d{2}T/.test(scheduledTime)) {
        return invalid('scheduledTime', 'scheduledTime must be an ISO 8601 date-time');
      }
      const ahead = scheduledAt - ctx.now();
      if (ahead < 15 * 60_000 || ahead > 5 * 86_400_000) {
        return invalid('scheduledTime', 'scheduledTime must be between 15 minutes and 5 days from now');
      }
    }
    const statusCallback = get('statusCallback');
    if (statusCallback !== undefined) {
      let host = '';
      try {
        const u = new URL(statusCallback);
        host = /^https?:$/.test(u.protocol) ? u.hostname : '';
      } catch {
        host = '';
      }
      if (!host || host.includes('_')) return invalid('statusCallback', 'statusCallback must have a valid host name');
    }
    const maxPrice = get('maxPrice');
    if (maxPrice !== undefined && !(Number(maxPrice) > 0))
      return invalid('maxPrice', 'maxPrice must be a positive number');
    const validity = get('validityPeriod');
    if (validity !== undefined && !/^\d+$/.test(validity))
      return invalid('validityPeriod', 'validityPeriod must be an integer');
    if (validity !== undefined && (Number(validity) < 1 || Number(validity) > 14400)) {
      return invalid('validityPeriod', 'validityPeriod must be at most 14400');
    }

    const { outcome, receipt } = ctx.scenario.resolve('reach', dest);
    if (outcome.kind === 'reject') {
      return error(
        outcome.status,
        Number(outcome.code) || (outcome.status === 429 ? CODES.rate : CODES.validation),
        outcome.message ?? 'Rejected',
        outcome.field,
        outcome.status === 429 ? { 'retry-after': String(outcome.retryAfterSec ?? 1) } : undefined,
      );
    }
    const now = new Date(ctx.now()).toISOString();
    const messageId = `MID${randomBytes(16).toString('hex')}`;
    const json: Record<string, unknown> = {
      appletId: 'AIDSIMULATOR000',
      apiVersion: '1.0.0',
      body,
      dest,
      src,
      bulkId: get('bulkIdentifier') ?? null,
      numSegments: seg.segments,
      numMedia: 0,
      price: null,
      priceUnit: null,
      messageId,
      status: scheduledAt !== undefined ? 'scheduled' : 'queued',
      messageType: 'outbound',
      errorCode: null,
      errorMessage: null,
      dateCreated: now,
      dateSent: null,
      dateUpdated: now,
    };
    const item: Item = {
      record: {
        provider: 'reach',
        messageId,
        recipient: dest,
        text: body,
        trackingKey: get('bulkIdentifier'),
        status: json.status as string,
        acceptedAt: ctx.now(),
        fields: Object.fromEntries(form.entries()),
      },
      json,
      outcome,
      receipt,
      statusCallback,
      final: false,
    };
    items.set(messageId, item);
    const answer = { ...json };
    lifecycle(
      item,
      scheduledAt,
      maxPrice === undefined ? undefined : Number(maxPrice),
      validity === undefined ? 14400 : Number(validity),
    );
    return { status: 200, json: answer };
  }

  /** scheduled → queued → sent → final, on the simulator's clock. */
  function lifecycle(
    item: Item,
    scheduledAt: number | undefined,
    maxPrice: number | undefined,
    validitySec: number,
  ): void {
    const o = item.outcome;
    const cost = Number(((item.json.numSegments as number) * price).toFixed(4));
    const finalIn = o.kind === 'deliver' || o.kind === 'fail' ? (o.afterMs ?? ctx.deliveryDelayMs) : undefined;
    const send = () => {
      if (item.final) return;
      if (scheduledAt !== undefined) setStatus(item, 'queued');
      if (maxPrice !== undefined && cost > maxPrice) {
        return finish(item, 'failed', { errorCode: CODES.price, errorMessage: 'Price exceeds maxPrice' });
      }
      if (finalIn !== undefined && finalIn / 1000 > validitySec) {
        return ctx.schedule(validitySec * 1000, () =>
          finish(item, 'failed', { errorCode: 30001, errorMessage: 'Queue overflow: validityPeriod exceeded' }),
        );
      }
      item.json.price = cost;
      item.json.priceUnit = currency;
      item.json.dateSent = new Date(ctx.now()).toISOString();
      setStatus(item, 'sent');
      if (finalIn === undefined) return;
      const done = () =>
        o.kind === 'deliver'
          ? finish(item, 'delivered')
          : finish(item, o.kind === 'fail' ? (o.status ?? 'undelivered') : 'undelivered');
      if (finalIn === 0) done();
      else ctx.schedule(finalIn, done);
    };
    if (scheduledAt === undefined) send();
    else ctx.schedule(scheduledAt - ctx.now(), send);
  }

  function finish(item: Item, status: string, err?: { errorCode: number; errorMessage: string }, forced = false): void {
    if (item.final) return;
    item.final = true;
    if (status !== 'delivered' && status !== 'sent') {
      item.json.price = status === 'canceled' ? null : (item.json.price ?? 0);
    }
    if (err) Object.assign(item.json, err);
    setStatus(item, status, forced);
  }

  function setStatus(item: Item, status: string, forced = false): void {
    item.json.status = status;
    item.json.dateUpdated = new Date(ctx.now()).toISOString();
    item.record.status = status;
    if (!item.statusCallback || (item.receipt === 'withhold' && !forced)) return;
    if (status === 'scheduled') return; // callbacks: queued, failed, sent, canceled, delivered, undelivered
    const params: Record<string, string> = { status };
    for (const k of [
      'messageId',
      'src',
      'dest',
      'body',
      'bulkId',
      'numSegments',
      'numMedia',
      'errorCode',
      'errorMessage',
    ]) {
      const v = item.json[k];
      if (v !== null && v !== undefined) params[k] = String(v);
    }
    if (item.final) params.dlrDate = dlrDate(ctx.now());
    ctx.postReceipt(item.statusCallback, {
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-reach-signature': computeReachSignature(config.apiKey, item.statusCallback, params),
      },
      body: new URLSearchParams(params).toString(),
    });
  }

  function list(req: SimRequest): SimResponse {
    const q = req.query;
    const page = Number(q.get('page') ?? 0);
    const pageSize = Math.min(1000, Math.max(1, Number(q.get('pageSize') ?? 20)));
    const sentAfter = q.get('sentAfter');
    const sentBefore = q.get('sentBefore');
    const matches = [...items.values()]
      .map((i) => i.json)
      .filter(
        (m) =>
          (!q.get('dest') || m.dest === q.get('dest')) &&
          (!q.get('src') || m.src === q.get('src')) &&
          (!q.get('bulkIdentifier') || m.bulkId === q.get('bulkIdentifier')) &&
          (!sentAfter || Date.parse(m.dateCreated as string) >= Date.parse(sentAfter)) &&
          (!sentBefore || Date.parse(m.dateCreated as string) <= Date.parse(sentBefore)),
      );
    const totalPages = Math.ceil(matches.length / pageSize);
    return {
      status: 200,
      json: {
        messages: matches.slice(page * pageSize, (page + 1) * pageSize),
        page,
        pageSize,
        totalPages,
        outOfPageRange: page >= totalPages,
      },
    };
  }

  function withItem(id: string | null | undefined, fn: (item: Item) => SimResponse): SimResponse {
    if (!id) return invalid('messageId', 'messageId is required');
    const item = items.get(id);
    return item ? fn(item) : error(404, CODES.notFound, `Message ${id} not found`, 'messageId');
  }

  return {
    provider: 'reach',
    matches: (path) => path.startsWith(BASE),
    handle(req) {
      if (req.headers.apiuser !== config.apiUser || req.headers.apikey !== config.apiKey) {
        return error(401, CODES.auth, 'Authentication failed: check ApiUser and ApiKey');
      }
      const op = `${req.method} ${req.path.slice(BASE.length)}`;
      const form = () => new URLSearchParams(req.rawBody);
      switch (op) {
        case 'POST create':
          return create(req);
        case 'GET fetch':
          return withItem(req.query.get('messageId'), (i) => ({ status: 200, json: i.json }));
        case 'GET list':
          return list(req);
        case 'POST unschedule':
          return withItem(form().get('messageId'), (i) => {
            if (i.json.status !== 'scheduled')
              return error(400, CODES.state, 'Only a scheduled message can be canceled', 'messageId');
            finish(i, 'canceled');
            return { status: 200, json: i.json };
          });
        case 'POST update':
          return withItem(form().get('messageId'), (i) => {
            const body = form().get('body');
            if (i.json.status !== 'scheduled')
              return error(400, CODES.state, 'Only a scheduled message can be updated', 'messageId');
            if (!body) return invalid('body', 'body is required');
            i.json.body = body;
            i.record.text = body;
            return { status: 200, json: i.json };
          });
        case 'DELETE delete':
          return withItem(req.query.get('messageId'), (i) => {
            items.delete(i.record.messageId);
            return { status: 204 };
          });
        default:
          return error(404, CODES.notFound, `No such operation: ${op}`);
      }
    },
    errorResponse(status, retryAfterSec) {
      return error(
        status,
        status === 429 ? CODES.rate : CODES.server,
        status === 429 ? 'Too Many Requests: concurrency limit' : 'Internal error',
        undefined,
        status === 429 ? { 'retry-after': String(retryAfterSec ?? 1) } : undefined,
      );
    },
    settle(messageId, result) {
      const item = items.get(messageId);
      if (!item) return false;
      if (result === 'delivered' && item.json.price === null) {
        item.json.price = Number(((item.json.numSegments as number) * price).toFixed(4));
        item.json.priceUnit = currency;
      }
      finish(item, result === 'delivered' ? 'delivered' : 'undelivered', undefined, true);
      return true;
    },
    messages: () => [...items.values()].map((i) => i.record),
    reset() {
      items = new Map();
    },
  };
}

function dlrDate(ms: number): string {
  const d = new Date(ms).toISOString(); // 2025-01-23T10:30:00.000Z → 2501231030
  return d.slice(2, 4) + d.slice(5, 7) + d.slice(8, 10) + d.slice(11, 13) + d.slice(14, 16);
}
