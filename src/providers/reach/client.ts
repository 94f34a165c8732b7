import { ProviderRequestError } from '../errors';
import { HttpClient, type ProviderErrorBody } from '../http';
import { type DeliveryStatus } from '../status';
import { unreadableFields } from '../tolerant';
import {
  CallbackSchema,
  createParamsSchema,
  ErrorBodySchema,
  firstIssue,
  ListPageSchema,
  MessagingItemSchema,
  type ReachCreateParams,
  type ReachMessage,
} from './schemas';
import { reachCallbackToStatus, reachItemToStatus } from './status-map';

export type { ReachMessage } from './schemas';

export interface ReachClientOptions {
  baseUrl: string;
  apiUser: string;
  apiKey: string;
  timeoutMs?: number;
  connections?: number;
  /** The clock `scheduledTime` is checked against. */
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

const API = '/rest/messaging/v1';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** Reach (TalkyLabs) messaging API, as reach.md documents it. Knows nothing of Temporal. */
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
      parseErrorBody: parseReachErrorBody,
    });
    this.auth = { ApiUser: options.apiUser, ApiKey: options.apiKey };
    this.now = options.now ?? Date.now;
  }

  /** Sends or schedules a message; every documented limit is checked before any request. */
  async create(input: ReachCreateInput): Promise<ReachMessage> {
    const parsed = createParamsSchema(this.now()).safeParse(input);
    if (!parsed.success) throw invalid(firstIssue(parsed.error));
    return this.http.request({
      method: 'POST',
      path: `${API}/create`,
      headers: { ...this.auth, ...FORM },
      body: createForm(parsed.data),
      schema: MessagingItemSchema,
      operation: 'create',
    });
  }

  async fetch(messageId: string): Promise<ReachMessage> {
    return this.http.request({
      method: 'GET',
      path: `${API}/fetch`,
      query: { messageId: requireId(messageId) },
      headers: this.auth,
      schema: MessagingItemSchema,
      operation: 'fetch',
    });
  }

  /**
   * Every message matching the filter, page after page while `!outOfPageRange && page + 1 <
   * totalPages` (reach.md, "Other message endpoints"), reading at most `maxPages` pages.
   */
  async list(filter: ReachListFilter, options: { pageSize?: number; maxPages?: number } = {}): Promise<ReachMessage[]> {
    const { pageSize = 100, maxPages = 100 } = options;
    const messages: ReachMessage[] = [];
    let page = 0;
    for (let read = 0; read < maxPages; read++) {
      const answer = await this.http.request({
        method: 'GET',
        path: `${API}/list`,
        query: { ...filter, page, pageSize },
        headers: this.auth,
        schema: ListPageSchema,
        operation: 'list',
      });
      messages.push(...answer.messages);
      if (answer.outOfPageRange || answer.page + 1 >= answer.totalPages) break;
      page = answer.page + 1;
    }
    return messages;
  }

  /** Cancels a message still waiting for its `scheduledTime`; Reach answers 400 for any other. */
  async unschedule(messageId: string): Promise<ReachMessage> {
    return this.http.request({
      method: 'POST',
      path: `${API}/unschedule`,
      headers: { ...this.auth, ...FORM },
      body: new URLSearchParams({ messageId: requireId(messageId) }).toString(),
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
}

/**
 * A status callback's parameters as the shared status, read tolerantly: only a missing message id
 * or status is an error (ProviderRequestError naming the field); fields that came but could not be
 * read (an odd `dlrDate`) are named in `unreadable`.
 */
export function parseReachCallback(params: Record<string, string>): DeliveryStatus {
  const parsed = CallbackSchema.safeParse(params);
  if (!parsed.success) throw invalid(firstIssue(parsed.error), 'reach callback');
  const status = reachCallbackToStatus(parsed.data);
  const unreadable = unreadableFields(params, { ...parsed.data, dlrDate: status.occurredAt }, ['dlrDate']);
  return unreadable.length > 0 ? { ...status, unreadable } : status;
}

function createForm(p: ReachCreateParams): string {
  const form = new URLSearchParams({ dest: p.dest, src: p.src, body: p.body });
  if (p.bulkIdentifier !== undefined) form.set('bulkIdentifier', p.bulkIdentifier);
  // Whole seconds unless the time has milliseconds, as the official clients serialise it.
  if (p.scheduledTime) form.set('scheduledTime', p.scheduledTime.toISOString().replace('.000Z', 'Z'));
  if (p.statusCallback !== undefined) form.set('statusCallback', p.statusCallback);
  if (p.maxPrice !== undefined) form.set('maxPrice', String(p.maxPrice));
  if (p.validityPeriod !== undefined) form.set('validityPeriod', String(p.validityPeriod));
  return form.toString();
}

function requireId(messageId: string): string {
  if (!messageId) throw invalid({ field: 'messageId', message: 'messageId is required' });
  return messageId;
}

function invalid(issue: { field: string; message: string }, what = 'reach'): ProviderRequestError {
  return new ProviderRequestError(`${what}: ${issue.message}`, { provider: 'reach', field: issue.field });
}

/** Reach's error body (reach.md, "Errors"): `errorCode` is our `code`, `errorDetails.field` our `field`. */
function parseReachErrorBody(body: unknown): ProviderErrorBody {
  const parsed = ErrorBodySchema.safeParse(body);
  if (!parsed.success) return {};
  const { errorCode, errorMessage, errorDetails } = parsed.data;
  const field = errorDetails?.field;
  return {
    code: errorCode === undefined ? undefined : String(errorCode),
    message: errorMessage,
    field: typeof field === 'string' ? field : undefined,
  };
}
