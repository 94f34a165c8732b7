import { type ServerResponse } from 'node:http';
export { BodyTooLargeError, readBody } from '../http-server/body';

export interface Reply {
  status: number;
  body: Record<string, unknown>;
  /** Sent instead of the JSON body, as the Prometheus text format. */
  text?: string;
  /** Sent as Retry-After (a 503 the provider should retry later). */
  retryAfterSec?: number;
}

export function reply(status: number, body: Record<string, unknown>): Reply {
  return { status, body };
}

export function send(res: ServerResponse, r: Reply): void {
  if (res.headersSent) return;
  res.writeHead(r.status, {
    'content-type':
      r.text !== undefined ? 'text/plain; version=0.0.4; charset=utf-8' : 'application/json; charset=utf-8',
    ...(r.retryAfterSec ? { 'retry-after': String(r.retryAfterSec) } : {}),
  });
  res.end(r.text ?? JSON.stringify(r.body));
}
