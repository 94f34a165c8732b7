import { type IncomingMessage } from 'node:http';
import { ProviderError } from '../providers/errors';
import { parseSmsbatWebhook } from '../providers/smsbat/client';
import { type ReceiptRoutes } from '../routing/receipt-routes';
import { secretsEqual } from '../security/constant-time';
import { reply, type Reply } from './http';

/**
 * SMSBAT delivery webhooks (smsbat.md §3): one account-wide URL, no signature. A secret token in
 * the path (`/webhooks/smsbat/<token>`) or the `X-Webhook-Token` header authenticates the sender;
 * the body names only SMSBAT's message id, so the receipt goes through the receipt router.
 */
export async function handleSmsbat(
  req: IncomingMessage,
  pathToken: string | undefined,
  rawBody: string,
  deps: { token: string; routes: ReceiptRoutes },
): Promise<Reply> {
  const header = req.headers['x-webhook-token'];
  const given = pathToken ?? (Array.isArray(header) ? header[0] : header);
  if (!given || !secretsEqual(given, deps.token)) return reply(401, { error: 'bad or missing webhook token' });

  let json: unknown;
  try {
    json = JSON.parse(rawBody);
  } catch {
    return reply(400, { error: 'body is not JSON' });
  }
  let status;
  try {
    status = parseSmsbatWebhook(json);
  } catch (err) {
    if (err instanceof ProviderError) return reply(400, { error: err.message, field: err.field });
    throw err;
  }
  const routed = await deps.routes.route(status);
  // A finished router already forwarded this message's final receipt: a duplicate, acknowledged.
  return reply(200, { ok: true, duplicate: !routed });
}
