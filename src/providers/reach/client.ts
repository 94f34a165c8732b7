import { ProviderRequestError } from '../errors';
import { HttpClient, type ProviderErrorBody } from '../http';
import { type DeliveryStatus } from '../status';
import { CallbackSchema, ErrorBodySchema, ListPageSchema, MessagingItemSchema, type ReachMessage } from './schemas';
import { countSegments } from './segments';
import { reachCallbackToStatus, reachItemToStatus } from './status-map';

export type { ReachMessage } from './schemas';

export interface ReachClientOptions {
  baseUrl: string;
  apiUser: string;
  apiKey: string;
  timeoutMs?: number;
  connections?: number;
  now?: () => number;
}

export interface ReachCreateInput {
  dest: string;
  src: string;
  body: string;
  bulkIdentifier?: string;
  scheduledTime?: string | Date;
  statusCallback?: string;
  maxPrice?: number;
  validityPeriod?: number;
}

export interface ReachListFilter {
  dest?: string;
  src?: string;
  bulkIdentifier?: string;
  sentAt?: string;
  sentAfter?: string;
  sentBefore?: string;
}

const E164 = /^\+[1-9]\d{7,14}$/;
const SENDER_ID = /^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$/;
const MINUTE = 60_000;
export const REACH_LIMITS = {
  maxSegments: 10,
  maxGsm7: 1600,
  scheduleMinMs: 15 * MINUTE,
  scheduleMaxMs: 5 * 24 * 60 * MINUTE,
  maxValidity: 14_400,
} as const;

/** Reach (TalkyLabs) messaging API (reach.md). Knows nothing of Temporal. */
export class ReachClient {
  private readonly http: HttpClient;
  private readonly auth: Record<string, string>;
  private readonly now: () => number;

  constructor(options: ReachClientOptions) {
    this.http = new HttpClient({
      provider: 'reach',
      baseUrl: options.baseUrl,
      timeoutMs: options.timeoutMs,
      connections: options.connections,
      parseErrorBody,
    });
    this.auth = { apiuser: options.apiUser, apikey: options.apiKey };
    this.now = options.now ?? Date.now;
  }

  async create(input: ReachCreateInput): Promise<ReachMessage> {
    const form = this.validate(input);
    return this.http.request({
      method: 'POST',
      path: '/rest/messaging/v1/create',
      headers: { ...this.auth, 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
      schema: MessagingItemSchema,
      operation: 'create',
    });
  }

  fetch(messageId: string): Promise<ReachMessage> {
    return this.http.request({
      method: 'GET',
      path: '/rest/messaging/v1/fetch',
      query: { messageId },
      headers: this.auth,
      schema: MessagingItemSchema,
      operation: 'fetch',
    });
  }

  /** Every page of a filtered list (the next page exists while !outOfPageRange && page + 1 < totalPages). */
  async list(filter: ReachListFilter, options: { pageSize?: number; maxPages?: number } = {}): Promise<ReachMessage[]> {
    const all: ReachMessage[] = [];
    for (let page = 0; page < (options.maxPages ?? 100); page++) {
      const answer = await this.http.request({
        method: 'GET',
        path: '/rest/messaging/v1/list',
        query: { ...filter, page, pageSize: options.pageSize ?? 100 },
        headers: this.auth,
        schema: ListPageSchema,
        operation: 'list',
      });
      all.push(...answer.messages);
      if (answer.outOfPageRange || answer.page + 1 >= answer.totalPages) break;
    }
    return all;
  }

  unschedule(messageId: string): Promise<ReachMessage> {
    return this.http.request({
      method: 'POST',
      path: '/rest/messaging/v1/unschedule',
      headers: { ...this.auth, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ messageId }).toString(),
      schema: MessagingItemSchema,
      operation: 'unschedule',
    });
  }

  async getStatus(messageId: string): Promise<DeliveryStatus> {
    return reachItemToStatus(await this.fetch(messageId));
  }

  close(): Promise<void> {
    return this.http.close();
  }

  private validate(input: ReachCreateInput): URLSearchParams {
    const fail = (field: string, message: string) =>
      new ProviderRequestError(`reach: invalid ${field}: ${message}`, { provider: 'reach', field });
    if (!E164.test(input.dest)) throw fail('dest', 'must be E.164');
    if (!E164.test(input.src) && !SENDER_ID.test(input.src)) {
      throw fail('src', 'must be E.164 or an alphanumeric sender id of at most 11 characters');
    }
    if (!input.body) throw fail('body', 'is required');
    const seg = countSegments(input.body);
    if (seg.segments > REACH_LIMITS.maxSegments || (seg.encoding === 'GSM-7' && seg.units > REACH_LIMITS.maxGsm7)) {
      throw fail('body', `needs ${seg.segments} segments (${seg.encoding}); at most ${REACH_LIMITS.maxSegments}`);
    }
    const form = new URLSearchParams({ dest: input.dest, src: input.src, body: input.body });
    if (input.bulkIdentifier !== undefined) form.set('bulkIdentifier', input.bulkIdentifier);
    if (input.scheduledTime !== undefined) {
      const at = new Date(input.scheduledTime).getTime();
      if (Number.isNaN(at)) throw fail('scheduledTime', 'must be an ISO 8601 date-time');
      const ahead = at - this.now();
      if (ahead < REACH_LIMITS.scheduleMinMs || ahead > REACH_LIMITS.scheduleMaxMs) {
        throw fail('scheduledTime', 'must be at least 15 minutes and at most 5 days ahead');
      }
      form.set('scheduledTime', new Date(at).toISOString());
    }
    if (input.statusCallback !== undefined) {
      let url: URL | undefined;
      try {
        url = new URL(input.statusCallback);
      } catch {
        url = undefined;
      }
      if (!url || !/^https?:$/.test(url.protocol) || !url.hostname || url.hostname.includes('_')) {
        throw fail('statusCallback', 'must be an http(s) URL with a valid host name (no underscores)');
      }
      form.set('statusCallback', input.statusCallback);
    }
    if (input.maxPrice !== undefined) {
      if (!(input.maxPrice > 0)) throw fail('maxPrice', 'must be positive');
      form.set('maxPrice', String(input.maxPrice));
    }
    if (input.validityPeriod !== undefined) {
      const v = input.validityPeriod;
      if (!Number.isInteger(v) || v < 1 || v > REACH_LIMITS.maxValidity) {
        throw fail('validityPeriod', `must be a whole number of seconds, 1–${REACH_LIMITS.maxValidity}`);
      }
      form.set('validityPeriod', String(v));
    }
    return form;
  }
}

function parseErrorBody(body: unknown): ProviderErrorBody {
  const parsed = ErrorBodySchema.safeParse(body);
  if (!parsed.success) return {};
  const field = parsed.data.errorDetails?.field;
  return {
    code: parsed.data.errorCode === undefined ? undefined : String(parsed.data.errorCode),
    message: parsed.data.errorMessage,
    field: typeof field === 'string' ? field : undefined,
  };
}

/** Parses a status callback's parameters; throws ProviderRequestError naming the bad field. */
export function parseReachCallback(params: Record<string, string>): DeliveryStatus {
  const parsed = CallbackSchema.safeParse(params);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path.join('.') || '(body)';
    throw new ProviderRequestError(`reach callback: invalid ${field}: ${issue.message}`, { provider: 'reach', field });
  }
  return reachCallbackToStatus(parsed.data);
}
