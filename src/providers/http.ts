import { Pool } from 'undici';
import { type z } from 'zod';
import {
  errorForStatus,
  parseRetryAfter,
  ProviderError,
  ProviderNetworkError,
  ProviderResponseError,
  ProviderTimeoutError,
  type ProviderName,
} from './errors';

/** What a provider's error body says, once parsed by that provider's own schema. */
export interface ProviderErrorBody {
  code?: string;
  message?: string;
  field?: string;
}

export interface HttpClientOptions {
  provider: ProviderName;
  baseUrl: string;
  /** Whole-call deadline: connect, headers and body. Default 10 s. */
  timeoutMs?: number;
  /** Keep-alive connections in this provider's pool. Default 16. */
  connections?: number;
  /** Reads the provider's documented error body (any JSON, or undefined when the body was not JSON). */
  parseErrorBody: (body: unknown) => ProviderErrorBody;
}

export interface HttpRequest<S extends z.ZodType> {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  query?: Record<string, string | number | undefined>;
  headers?: Record<string, string>;
  body?: string;
  /** Schema of the 2xx body. */
  schema: S;
  /** Short name of the operation for error messages ("send", "status", …). */
  operation: string;
  /** This call's deadline, when it differs from the client's (a bulk request sized to its batch). */
  timeoutMs?: number;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/**
 * The one HTTP layer of every provider client: one keep-alive pool per provider, a deadline on
 * every call, responses parsed with zod, and every failure turned into a typed ProviderError.
 */
export class HttpClient {
  private readonly pool: Pool;
  private readonly basePath: string;
  private readonly timeoutMs: number;

  constructor(private readonly options: HttpClientOptions) {
    const url = new URL(options.baseUrl);
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.pool = new Pool(url.origin, {
      connections: options.connections ?? 16,
      keepAliveTimeout: 30_000,
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
      connectTimeout: Math.min(this.timeoutMs, 10_000),
    });
  }

  async request<S extends z.ZodType>(req: HttpRequest<S>): Promise<z.output<S>> {
    const { provider } = this.options;
    const path = this.basePath + req.path + queryString(req.query);
    let status: number;
    let headers: Record<string, string | string[] | undefined>;
    let text: string;
    const timeoutMs = req.timeoutMs ?? this.timeoutMs;
    try {
      const res = await this.pool.request({
        method: req.method,
        path,
        headers: req.headers,
        body: req.body,
        signal: AbortSignal.timeout(timeoutMs),
        ...(req.timeoutMs === undefined ? {} : { headersTimeout: timeoutMs, bodyTimeout: timeoutMs }),
      });
      status = res.statusCode;
      headers = res.headers;
      text = await res.body.text();
    } catch (err) {
      throw transportError(provider, req.operation, err, timeoutMs);
    }

    const json = parseJson(text);
    if (status < 200 || status > 299) {
      const parsed = this.options.parseErrorBody(json.ok ? json.value : undefined);
      const retryAfter = headers['retry-after'];
      const message = `${provider} ${req.operation} failed with HTTP ${status}${parsed.message ? `: ${parsed.message}` : ''}`;
      throw errorForStatus(status, message, {
        provider,
        code: parsed.code,
        field: parsed.field,
        retryAfterMs: parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter),
      });
    }
    if (!json.ok) {
      throw new ProviderResponseError(`${provider} ${req.operation}: response body is not JSON`, { provider, status });
    }
    const result = req.schema.safeParse(json.value);
    if (!result.success) {
      const issues = result.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
      throw new ProviderResponseError(`${provider} ${req.operation}: unexpected response (${issues})`, {
        provider,
        status,
      });
    }
    return result.data;
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}

function queryString(query: HttpRequest<z.ZodType>['query']): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.append(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : '';
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  if (text.trim() === '') return { ok: false };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

function transportError(provider: ProviderName, operation: string, err: unknown, timeoutMs: number): ProviderError {
  if (err instanceof ProviderError) return err;
  const e = err as { name?: string; code?: string; message?: string };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError' || (e?.code && TIMEOUT_CODES.has(e.code))) {
    return new ProviderTimeoutError(`${provider} ${operation}: no answer within ${timeoutMs} ms`, {
      provider,
      code: e.code,
      cause: err,
    });
  }
  if (e?.code && NETWORK_CODES.has(e.code)) {
    return new ProviderNetworkError(`${provider} ${operation}: ${e.code}`, { provider, code: e.code, cause: err });
  }
  return new ProviderNetworkError(`${provider} ${operation}: ${e?.message ?? String(err)}`, {
    provider,
    code: e?.code,
    cause: err,
  });
}
