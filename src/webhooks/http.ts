import { type IncomingMessage, type ServerResponse } from 'node:http';

export class BodyTooLargeError extends Error {}

/** Reads a request body up to `limit` bytes; past it, stops reading and throws. */
export function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLargeError(`body over ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export interface Reply {
  status: number;
  body: Record<string, unknown>;
}

export function reply(status: number, body: Record<string, unknown>): Reply {
  return { status, body };
}

export function send(res: ServerResponse, r: Reply): void {
  if (res.headersSent) return;
  res.writeHead(r.status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(r.body));
}
