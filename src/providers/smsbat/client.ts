import { ProviderError, ProviderRequestError, ProviderResponseError } from '../errors';
import { HttpClient, type ProviderErrorBody } from '../http';
import { type DeliveryStatus } from '../status';
import {
  ErrorBodySchema,
  SCHEDULE_MAX_DAYS,
  SendResponseSchema,
  SmsbatMessageSchema,
  StatusResponseSchema,
  WebhookSchema,
} from './schemas';
import { statusFromResponse, statusFromWebhook } from './status-map';

export type SmsbatRoute = 'standard' | 'tg-viber';
export type SmsbatMessageType = 'transaction' | 'promo' | 'viber_survey' | 'flashcall';

export interface SmsbatMessage {
  id: string;
  fromName: string;
  toPhone: string;
  messageType: SmsbatMessageType;
  text?: string;
  ttl?: number;
  scheduledSent?: string;
  surveyOptions?: string[];
}

export interface SmsbatCredentials {
  apiKey?: string;
  username?: string;
  password?: string;
  viberToken?: string;
  tgBotKey?: string;
}

export interface SmsbatClientOptions {
  baseUrl: string;
  credentials: SmsbatCredentials;
  timeoutMs?: number;
  connections?: number;
  now?: () => number;
}

export type SmsbatStatusAuth = 'apiKey' | 'basic' | 'basicApiKey';

export type SmsbatBulkResult =
  { id: string; ok: true; messageId: string } | { id: string; ok: false; error: ProviderError };

const PATHS: Record<SmsbatRoute, string> = {
  standard: '/api/CascadeMessage/send_message/async',
  'tg-viber': '/api/CascadeMessage/send_message/tg-viber/async',
};
export const SMSBAT_MAX_BATCH = 1000;

/** SMSBAT's cascade send and status APIs (smsbat.md). Knows nothing of Temporal. */
export class SmsbatClient {
  private readonly http: HttpClient;
  private readonly now: () => number;

  constructor(private readonly options: SmsbatClientOptions) {
    this.http = new HttpClient({
      provider: 'smsbat',
      baseUrl: options.baseUrl,
      timeoutMs: options.timeoutMs,
      connections: options.connections,
      parseErrorBody,
    });
    this.now = options.now ?? Date.now;
  }

  async send(
    message: SmsbatMessage,
    options: { route?: SmsbatRoute } = {},
  ): Promise<{ messageId: string; trackingId: string }> {
    this.validate(message);
    const [answer] = await this.post([message], options.route ?? 'standard');
    return { messageId: answer.messageId, trackingId: answer.trackinId };
  }

  /**
   * Any number of messages, in requests of at most `batchSize` (≤ 1000), `concurrency` at a time.
   * Results come back in input order; invalid messages fail alone without being sent, and a
   * request that fails reports its error for each of its messages.
   */
  async sendBulk(
    messages: SmsbatMessage[],
    options: { route?: SmsbatRoute; batchSize?: number; concurrency?: number } = {},
  ): Promise<SmsbatBulkResult[]> {
    const batchSize = Math.min(SMSBAT_MAX_BATCH, Math.max(1, options.batchSize ?? SMSBAT_MAX_BATCH));
    const results = new Array<SmsbatBulkResult>(messages.length);
    const valid: { index: number; message: SmsbatMessage }[] = [];
    messages.forEach((message, index) => {
      try {
        this.validate(message);
        valid.push({ index, message });
      } catch (err) {
        results[index] = { id: message.id, ok: false, error: err as ProviderError };
      }
    });
    const batches: (typeof valid)[] = [];
    for (let i = 0; i < valid.length; i += batchSize) batches.push(valid.slice(i, i + batchSize));

    let next = 0;
    const worker = async () => {
      while (next < batches.length) {
        const batch = batches[next++];
        try {
          const answers = await this.post(
            batch.map((b) => b.message),
            options.route ?? 'standard',
          );
          const byId = new Map(answers.map((a) => [a.trackinId, a.messageId]));
          for (const { index, message } of batch) {
            const messageId = byId.get(message.id);
            results[index] = messageId
              ? { id: message.id, ok: true, messageId }
              : {
                  id: message.id,
                  ok: false,
                  error: new ProviderResponseError('smsbat send: no result for this message', { provider: 'smsbat' }),
                };
          }
        } catch (err) {
          if (!(err instanceof ProviderError)) throw err;
          for (const { index, message } of batch) results[index] = { id: message.id, ok: false, error: err };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 2, batches.length) }, worker));
    return results;
  }

  async getStatus(messageId: string, options: { auth?: SmsbatStatusAuth } = {}): Promise<DeliveryStatus> {
    const response = await this.http.request({
      method: 'GET',
      path: `/bat/message/${encodeURIComponent(messageId)}`,
      headers: this.statusAuth(options.auth),
      schema: StatusResponseSchema,
      operation: 'status',
    });
    return statusFromResponse(messageId, response);
  }

  close(): Promise<void> {
    return this.http.close();
  }

  private async post(messages: SmsbatMessage[], route: SmsbatRoute) {
    const answers = await this.http.request({
      method: 'POST',
      path: PATHS[route],
      headers: { 'content-type': 'application/json', ...this.sendAuth() },
      body: JSON.stringify(messages),
      schema: SendResponseSchema,
      operation: 'send',
    });
    if (answers.length !== messages.length) {
      throw new ProviderResponseError(`smsbat send: ${answers.length} results for ${messages.length} messages`, {
        provider: 'smsbat',
        status: 200,
      });
    }
    return answers;
  }

  private validate(message: SmsbatMessage): void {
    const parsed = SmsbatMessageSchema.safeParse(message);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue.path.join('.');
      throw new ProviderRequestError(`smsbat: invalid ${field}: ${issue.message}`, { provider: 'smsbat', field });
    }
    if (message.scheduledSent && Date.parse(message.scheduledSent) > this.now() + SCHEDULE_MAX_DAYS * 86_400_000) {
      throw new ProviderRequestError(`smsbat: scheduledSent more than ${SCHEDULE_MAX_DAYS} days ahead`, {
        provider: 'smsbat',
        field: 'scheduledSent',
      });
    }
  }

  /** Every configured key goes along: SMSBAT needs at least one of the three (smsbat.md §1). */
  private sendAuth(): Record<string, string> {
    const c = this.options.credentials;
    const headers: Record<string, string> = {};
    if (c.apiKey) headers['x-authorization-key'] = c.apiKey;
    if (c.viberToken) headers['x-viber-auth-token'] = c.viberToken;
    if (c.tgBotKey) headers['x-tg-bot-key'] = c.tgBotKey;
    if (Object.keys(headers).length === 0) {
      throw new ProviderRequestError('smsbat: no API key, Viber token or Telegram bot key configured', {
        provider: 'smsbat',
      });
    }
    return headers;
  }

  private statusAuth(auth: SmsbatStatusAuth | undefined): Record<string, string> {
    const c = this.options.credentials;
    const mode = auth ?? (c.apiKey ? 'apiKey' : 'basic');
    const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
    if (mode === 'apiKey' && c.apiKey) return { 'x-authorization-key': c.apiKey };
    if (mode === 'basicApiKey' && c.apiKey) return { authorization: basic('@', c.apiKey) };
    if (mode === 'basic' && c.username && c.password) return { authorization: basic(c.username, c.password) };
    throw new ProviderRequestError(`smsbat: credentials for ${mode} status checks are not configured`, {
      provider: 'smsbat',
    });
  }
}

function parseErrorBody(body: unknown): ProviderErrorBody {
  const parsed = ErrorBodySchema.safeParse(body);
  return parsed.success ? parsed.data.error : {};
}

/** Parses a delivery webhook body; throws ProviderRequestError naming the bad field. */
export function parseSmsbatWebhook(body: unknown): DeliveryStatus {
  const parsed = WebhookSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path.join('.') || '(body)';
    throw new ProviderRequestError(`smsbat webhook: invalid ${field}: ${issue.message}`, { provider: 'smsbat', field });
  }
  return statusFromWebhook(parsed.data);
}
