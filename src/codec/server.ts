import { type IncomingMessage, type ServerResponse } from 'node:http';
import { HttpService } from '../http-server/service';
import { type Payload, type PayloadCodec } from '@temporalio/common';
import { BodyTooLargeError, readBody } from '../http-server/body';
import { secretsEqual } from '../security/constant-time';

export interface CodecServerOptions {
  codec: PayloadCodec;
  /** The Web UI's origin (CORS); the browser calls the codec server directly. */
  allowOrigins: string[];
  /** When set, requests must carry `Authorization: Bearer <token>`. */
  token?: string;
  /** Default 4 MiB. */
  maxBodyBytes?: number;
}

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

/**
 * The codec server the Temporal Web UI calls to show decrypted payloads to operators who can
 * reach it (`POST /encode`, `POST /decode`, JSON payloads with base64 fields). Without it, the UI
 * shows ciphertext.
 */
export class CodecServer extends HttpService {
  constructor(private readonly options: CodecServerOptions) {
    super();
  }

  protected async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const origin = req.headers.origin;
    if (origin && this.options.allowOrigins.includes(origin)) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('access-control-allow-credentials', 'true');
      res.setHeader('access-control-allow-methods', 'POST, OPTIONS');
      res.setHeader('access-control-allow-headers', 'content-type, x-namespace, authorization');
      res.setHeader('vary', 'origin');
    }
    if (req.method === 'OPTIONS') return void res.writeHead(204).end();
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'POST' || (path !== '/encode' && path !== '/decode'))
      return reply(res, 404, { error: 'not found' });
    if (this.options.token && !bearerMatches(req.headers.authorization, this.options.token)) {
      return reply(res, 401, { error: 'unauthorized' });
    }
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

function bearerMatches(header: string | undefined, token: string): boolean {
  return secretsEqual(header?.startsWith('Bearer ') ? header.slice(7) : '', token);
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
