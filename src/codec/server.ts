import { type IncomingMessage, type ServerResponse } from 'node:http';
import { type Payload, type PayloadCodec } from '@temporalio/common';
import { BodyTooLargeError, readBody } from '../http-server/body';
import { HttpService, type HttpTimeouts } from '../http-server/service';
import { secretsEqual } from '../security/constant-time';

export interface CodecServerOptions {
  codec: PayloadCodec;
  /** The Web UI's origins (CORS); a request from any other origin is refused. */
  allowOrigins: string[];
  /**
   * Required unless the server listens on loopback only: `Authorization: Bearer <token>`, or the
   * token as the endpoint's first path segments (`/t/<token>/decode`), which is how a Web UI that
   * sends no custom header is given it (`--ui-codec-endpoint http://…/t/<token>`).
   */
  token?: string;
  /** Host names the server answers to (DNS rebinding); loopback names are always allowed. */
  hostnames?: string[];
  /** Default 4 MiB. */
  maxBodyBytes?: number;
  /** Default: the whole request within 15 s, its headers within 10 s. */
  timeouts?: Partial<HttpTimeouts>;
}

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];
const LOOPBACK_BINDS = new Set(['127.0.0.1', 'localhost', '::1']);

/**
 * The codec server the Temporal Web UI calls to show decrypted payloads to operators who can
 * reach it (`POST /encode`, `POST /decode`, JSON payloads with base64 fields). Whoever it answers
 * reads phone numbers and texts, so it answers only: the configured browser origins (403
 * otherwise, not merely a missing CORS header), the configured host names (a rebinding DNS name
 * gets 421), and the bearer of the token when it listens beyond loopback.
 */
export class CodecServer extends HttpService {
  private readonly hostnames: Set<string>;

  constructor(private readonly options: CodecServerOptions) {
    super(options.timeouts);
    this.hostnames = new Set([...LOOPBACK_NAMES, ...(options.hostnames ?? [])].map((h) => h.toLowerCase()));
  }

  override async start(port = 0, host = '127.0.0.1'): Promise<this> {
    if (!this.options.token && !LOOPBACK_BINDS.has(host)) {
      throw new Error(
        `the codec server decrypts for whoever reaches it: set CODEC_SERVER_TOKEN to listen on ${host}, or listen on 127.0.0.1`,
      );
    }
    if (!LOOPBACK_BINDS.has(host) && host !== '0.0.0.0' && host !== '::') this.hostnames.add(host.toLowerCase());
    return super.start(port, host);
  }

  /** Whether a token protects it (false: loopback only, anyone on this machine can decode). */
  get protectedByToken(): boolean {
    return this.options.token !== undefined;
  }

  protected async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const hostname = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
    if (!this.hostnames.has(hostname)) return reply(res, 421, { error: 'unknown host name' });
    const origin = req.headers.origin;
    if (origin !== undefined) {
      if (!this.options.allowOrigins.includes(origin)) return reply(res, 403, { error: 'origin not allowed' });
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('access-control-allow-credentials', 'true');
      res.setHeader('access-control-allow-methods', 'POST, OPTIONS');
      res.setHeader('access-control-allow-headers', 'content-type, x-namespace, authorization');
      res.setHeader('vary', 'origin');
    }
    if (req.method === 'OPTIONS') return void res.writeHead(204).end();
    const { path, pathToken } = splitToken((req.url ?? '').split('?')[0]);
    if (req.method !== 'POST' || (path !== '/encode' && path !== '/decode'))
      return reply(res, 404, { error: 'not found' });
    if (this.options.token && !this.authorized(req, pathToken)) return reply(res, 401, { error: 'unauthorized' });
    let body: { payloads?: JsonPayload[] };
    try {
      body = JSON.parse(await readBody(req, this.options.maxBodyBytes ?? 4 * 1024 * 1024)) as {
        payloads?: JsonPayload[];
      };
    } catch (err) {
      return reply(res, err instanceof BodyTooLargeError ? 413 : 400, { error: 'bad request body' });
    }
    if (!Array.isArray(body.payloads)) return reply(res, 400, { error: 'expected {"payloads": [...]}' });
    try {
      const payloads = body.payloads.map(fromJson);
      const out =
        path === '/encode' ? await this.options.codec.encode(payloads) : await this.options.codec.decode(payloads);
      reply(res, 200, { payloads: out.map(toJson) });
    } catch (err) {
      reply(res, 400, { error: (err as Error).message });
    }
  }

  private authorized(req: IncomingMessage, pathToken: string | undefined): boolean {
    const header = req.headers.authorization;
    const bearer = header?.startsWith('Bearer ') ? header.slice(7) : '';
    return secretsEqual(pathToken ?? bearer, this.options.token!);
  }
}

/** `/t/<token>/decode` → `/decode` and the token. */
function splitToken(path: string): { path: string; pathToken?: string } {
  const m = /^\/t\/([^/]+)(\/.*)$/.exec(path);
  if (!m) return { path };
  try {
    return { path: m[2], pathToken: decodeURIComponent(m[1]) };
  } catch {
    return { path: m[2], pathToken: '' };
  }
}

function fromJson(p: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    data: Buffer.from(p.data ?? '', 'base64'),
  };
}

function toJson(p: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(
      Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
    ),
    data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
  };
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
