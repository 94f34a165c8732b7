import { type z } from 'zod';
import { ProviderError, ProviderRequestError, ProviderResponseError } from '../errors';
import { HttpClient, type ProviderErrorBody } from '../http';
import { type DeliveryStatus } from '../status';
import { unreadableFields } from '../tolerant';
import {
  ErrorBodySchema,
  SendResponseSchema,
  SmsbatMessageSchema,
  StatusResponseSchema,
  WEBHOOK_FIELDS,
  WebhookSchema,
  type SmsbatMessageInput,
  type SmsbatSendAnswer,
} from './schemas';
import { statusFromResponse, statusFromWebhook } from './status-map';

export type SmsbatRoute = 'standard' | 'tg-viber';
export type SmsbatMessageType = 'transaction' | 'promo' | 'viber_survey' | 'flashcall';

export interface SmsbatMessage {
  /** Our tracking id, echoed back as `trackinId`: < 255 letters, digits, `-` and `_`. */
  id: string;
  fromName: string;
  /** E.164, e.g. `+380501234567`. */
  toPhone: string;
  messageType: SmsbatMessageType;
  /** Required, except for `flashcall`, which carries none. */
  text?: string;
  /** Seconds. */
  ttl?: number;
  /** ISO 8601 UTC (`…Z`), at most 30 days ahead. */
  scheduledSent?: string;
  /** `viber_survey` only: 2 to 5 options (and text of at most 85 characters). */
  surveyOptions?: string[];
}

export interface SmsbatCredentials {
  apiKey?: string;
  username?: string;
  password?: string;
  viberToken?: string;
  tgBotKey?: string;
}

export type SmsbatStatusAuth = 'apiKey' | 'basic' | 'basicApiKey';

export interface SmsbatClientOptions {
  baseUrl: string;
  credentials: SmsbatCredentials;
  timeoutMs?: number;
  connections?: number;
  /** How status checks authenticate (§2); default the API key when configured, else Basic user:password. */
  statusAuth?: SmsbatStatusAuth;
  /** The account's currency, paired with amounts SMSBAT gives without one (webhooks, the basic answer). */
  currency?: string;
}

export type SmsbatBulkResult =
  { id: string; ok: true; messageId: string } | { id: string; ok: false; error: ProviderError };

const SEND_PATHS: Record<SmsbatRoute, string> = {
  standard: '/api/CascadeMessage/send_message/async',
  'tg-viber': '/api/CascadeMessage/send_message/tg-viber/async',
};
/** The page's bulk guidance: batches of 100–1000 messages per request (smsbat.md §1). */
export const SMSBAT_MAX_BATCH = 1000;
const DEFAULT_CONCURRENCY = 2;
/**
 * A 400 refuses a whole request and names a field, not a message: the request is split in halves
 * until the refused messages stand alone. Fields every message of a bulk shares (fromName,
 * messageType …) would fail any half, so only per-message fields are isolated; and a batch spends
 * at most this many extra requests on it (2⌈log₂ n⌉ per bad message: 20 for one in 1000).
 */
const PER_MESSAGE_FIELDS = new Set(['id', 'toPhone', 'text', undefined]);
export const MAX_ISOLATION_REQUESTS = 64;
/** A bulk request's deadline grows with its batch: SMSBAT takes longer to answer 1000 messages than one. */
export const BULK_TIMEOUT_PER_MESSAGE_MS = 20;

type Queued = { index: number; message: SmsbatMessageInput };

/** SMSBAT's cascade send and status APIs (smsbat.md §1–2). Knows nothing of Temporal. */
export class SmsbatClient {
  private readonly http: HttpClient;

  constructor(private readonly options: SmsbatClientOptions) {
    this.http = new HttpClient({
      provider: 'smsbat',
      baseUrl: options.baseUrl,
      timeoutMs: options.timeoutMs,
      connections: options.connections,
      parseErrorBody,
    });
  }

  /** Sends one message; validated before any request is made. */
  async send(
    message: SmsbatMessage,
    options: { route?: SmsbatRoute } = {},
  ): Promise<{ messageId: string; trackingId: string }> {
    const headers = this.sendHeaders();
    const valid = validMessage(message);
    const answers = await this.post([valid], options.route, headers);
    const answer = answers.length === 1 ? answers.find((a) => a.trackinId === valid.id) : undefined;
    if (!answer?.messageId) {
      const got = answers.map((a) => a.trackinId ?? '(none)').join(', ') || 'nothing';
      throw mismatch(`answered ${got} for tracking id ${valid.id}`);
    }
    return { messageId: answer.messageId, trackingId: valid.id };
  }

  /**
   * Any number of messages, in requests of at most `batchSize` (≤ 1000), `concurrency` at a time.
   * One result per message, in input order, matched by tracking id (not position). Invalid
   * messages and repeated ids fail alone without being sent; a request SMSBAT refuses with 400 is
   * split until the refused messages stand alone (see MAX_ISOLATION_REQUESTS; a part refused once
   * the budget is spent is posted again later with a fresh budget, never marked invalid) and the
   * rest are sent once; a request that fails otherwise reports its error for each of its messages
   * (`isAmbiguous` tells which errors may hide an accepted request); a message
   * missing from its request's answer is a ProviderResponseError (it may still have been accepted,
   * so it is not worth a blind retry). `requests` counts the HTTP requests made.
   */
  async sendBulk(
    messages: SmsbatMessage[],
    options: { route?: SmsbatRoute; batchSize?: number; concurrency?: number; signal?: AbortSignal } = {},
  ): Promise<SmsbatBulkResult[]> {
    const headers = this.sendHeaders();
    const results = new Array<SmsbatBulkResult>(messages.length);
    const queue: Queued[] = [];
    const ids = new Set<string>();
    messages.forEach((message, index) => {
      try {
        const valid = validMessage(message);
        // SMSBAT wants a unique id per message (§1); two equal ids could not be told apart in the answer.
        if (ids.has(valid.id)) throw invalid('id', `tracking id ${valid.id} appears twice in this bulk`);
        ids.add(valid.id);
        queue.push({ index, message: valid });
      } catch (err) {
        results[index] = { id: message.id, ok: false, error: err as ProviderError };
      }
    });

    const batchSize = Math.max(1, Math.min(SMSBAT_MAX_BATCH, Math.floor(options.batchSize ?? SMSBAT_MAX_BATCH)));
    const batches: Queued[][] = [];
    for (let i = 0; i < queue.length; i += batchSize) batches.push(queue.slice(i, i + batchSize));

    await forEachLimited(batches, options.concurrency ?? DEFAULT_CONCURRENCY, async (batch) => {
      let deferred: Queued[][] = [];
      await this.postIsolating(
        batch,
        options.route,
        headers,
        results,
        { extra: MAX_ISOLATION_REQUESTS },
        deferred,
        options.signal,
      );
      // Each round isolates at least one refused message of every part (a budget covers 2⌈log₂ 1000⌉).
      while (deferred.length > 0) {
        const again = deferred;
        deferred = [];
        for (const part of again) {
          await this.postIsolating(
            part,
            options.route,
            headers,
            results,
            { extra: MAX_ISOLATION_REQUESTS },
            deferred,
            options.signal,
          );
        }
      }
    });
    return results;
  }

  /** Posts a batch; on a 400 for a per-message field, halves it while the budget lasts. */
  private async postIsolating(
    batch: Queued[],
    route: SmsbatRoute | undefined,
    headers: Record<string, string>,
    results: SmsbatBulkResult[],
    budget: { extra: number },
    deferred: Queued[][],
    signal?: AbortSignal,
  ): Promise<void> {
    // No request after the caller gave up on this send (a superseded attempt).
    signal?.throwIfAborted();
    let answers: SmsbatSendAnswer[];
    try {
      answers = await this.post(
        batch.map((q) => q.message),
        route,
        headers,
        (this.options.timeoutMs ?? 10_000) + batch.length * BULK_TIMEOUT_PER_MESSAGE_MS,
      );
    } catch (err) {
      if (!(err instanceof ProviderError)) throw err;
      const perMessage = err instanceof ProviderRequestError && batch.length > 1 && PER_MESSAGE_FIELDS.has(err.field);
      // Out of budget: the part waits for a later round rather than its valid messages being dropped.
      if (perMessage && budget.extra < 2) return void deferred.push(batch);
      if (!perMessage) {
        for (const { index, message } of batch) results[index] = { id: message.id, ok: false, error: err };
        return;
      }
      budget.extra -= 2;
      const half = Math.ceil(batch.length / 2);
      await this.postIsolating(batch.slice(0, half), route, headers, results, budget, deferred, signal);
      await this.postIsolating(batch.slice(half), route, headers, results, budget, deferred, signal);
      return;
    }
    const messageIds = new Map(
      answers.flatMap((a) => (a.trackinId && a.messageId ? [[a.trackinId, a.messageId]] : [])),
    );
    for (const { index, message } of batch) {
      const messageId = messageIds.get(message.id);
      results[index] = messageId
        ? { id: message.id, ok: true, messageId }
        : { id: message.id, ok: false, error: mismatch(`no result for tracking id ${message.id}`) };
    }
  }

  /** `GET /bat/message/{messageId}`; default auth: the API key if configured, else Basic user:password. */
  async getStatus(messageId: string, options: { auth?: SmsbatStatusAuth } = {}): Promise<DeliveryStatus> {
    if (!messageId) throw invalid('messageId', 'a message id is required');
    const response = await this.http.request({
      method: 'GET',
      path: `/bat/message/${encodeURIComponent(messageId)}`,
      headers: this.statusHeaders(options.auth ?? this.options.statusAuth),
      schema: StatusResponseSchema,
      operation: 'status',
    });
    return statusFromResponse(messageId, response, this.options.currency);
  }

  close(): Promise<void> {
    return this.http.close();
  }

  private post(
    messages: SmsbatMessageInput[],
    route: SmsbatRoute | undefined,
    headers: Record<string, string>,
    timeoutMs?: number,
  ) {
    return this.http.request({
      timeoutMs,
      method: 'POST',
      path: SEND_PATHS[route ?? 'standard'],
      headers,
      body: JSON.stringify(messages),
      schema: SendResponseSchema,
      operation: 'send',
    });
  }

  /** Every configured credential goes along; SMSBAT needs at least one of the three (§1). */
  private sendHeaders(): Record<string, string> {
    const { apiKey, viberToken, tgBotKey } = this.options.credentials;
    const auth: Record<string, string> = {};
    if (apiKey) auth['X-Authorization-Key'] = apiKey;
    if (viberToken) auth['X-Viber-Auth-Token'] = viberToken;
    if (tgBotKey) auth['X-Tg-Bot-Key'] = tgBotKey;
    if (Object.keys(auth).length === 0) {
      throw invalid(
        'credentials',
        'smsbat: sending needs at least one of apiKey, viberToken or tgBotKey ' +
          '(X-Authorization-Key, X-Viber-Auth-Token, X-Tg-Bot-Key); none is configured',
      );
    }
    return { 'Content-Type': 'application/json', ...auth };
  }

  /** The status endpoint's three ways in (§2): API key header, Basic user:password, Basic `@:apikey`. */
  private statusHeaders(auth: SmsbatStatusAuth | undefined): Record<string, string> {
    const { apiKey, username, password } = this.options.credentials;
    const mode = auth ?? (apiKey ? 'apiKey' : 'basic');
    const basic = (user: string, pass: string) => ({
      Authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`,
    });
    if (mode === 'apiKey' && apiKey) return { 'X-Authorization-Key': apiKey };
    if (mode === 'basicApiKey' && apiKey) return basic('@', apiKey);
    if (mode === 'basic' && username && password) return basic(username, password);
    const needs = mode === 'basic' ? 'username and password' : 'apiKey';
    throw invalid('credentials', `smsbat: status checks with ${mode} auth need ${needs}, which are not configured`);
  }
}

/**
 * Parses a delivery webhook body (§3) tolerantly: only a missing message id or status word is an
 * error (ProviderRequestError naming the field); fields that came but could not be read are named
 * in `unreadable`.
 */
export function parseSmsbatWebhook(body: unknown, options: { currency?: string } = {}): DeliveryStatus {
  const parsed = WebhookSchema.safeParse(body);
  if (!parsed.success) throw fromIssue('smsbat webhook', parsed.error);
  const status = statusFromWebhook(parsed.data, options.currency);
  const unreadable = unreadableFields(body, parsed.data, WEBHOOK_FIELDS);
  return unreadable.length > 0 ? { ...status, unreadable } : status;
}

function validMessage(message: SmsbatMessage): SmsbatMessageInput {
  const parsed = SmsbatMessageSchema.safeParse(message);
  if (!parsed.success) throw fromIssue('smsbat', parsed.error);
  return parsed.data;
}

function fromIssue(context: string, error: z.ZodError): ProviderRequestError {
  const issue = error.issues[0];
  const field = issue.path.map(String).join('.') || 'body';
  return invalid(field, `${context}: invalid ${field}: ${issue.message}`);
}

function invalid(field: string, message: string): ProviderRequestError {
  return new ProviderRequestError(message, { provider: 'smsbat', field });
}

function mismatch(detail: string): ProviderResponseError {
  return new ProviderResponseError(`smsbat send: the answer does not match the request (${detail})`, {
    provider: 'smsbat',
    status: 200,
  });
}

function parseErrorBody(body: unknown): ProviderErrorBody {
  const parsed = ErrorBodySchema.safeParse(body);
  if (!parsed.success) return {};
  const { code, message, field } = parsed.data.error;
  return { code, message, field };
}

async function forEachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}
