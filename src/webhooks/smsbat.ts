import { type IncomingMessage } from 'node:http';
import { ProviderError } from '../providers/errors';
import { parseSmsbatWebhook } from '../providers/smsbat/client';
import { type ReceiptIndex, type ReceiptOwner } from '../receipts/types';
import { secretsEqual } from '../security/constant-time';
import { type DeliveryStatus } from '../shared/delivery-status';
import { type ReceiptDelivery } from './delivery';
import { reply, type Reply } from './http';
import { isProgressOnly, receiptFieldProblem } from './limits';

export interface SmsbatDeps {
  token: string;
  receipts: ReceiptIndex;
  delivery: ReceiptDelivery;
  /** The account's currency, for the amounts SMSBAT's webhook carries without one. */
  currency?: string;
  /** `status`: the receipt, once it reached its flow or chunk. */
  count(outcome: string, status?: DeliveryStatus): void;
  log(entry: Record<string, unknown>): void;
}

/**
 * SMSBAT delivery webhooks (smsbat.md §3): one account-wide URL, no signature. A secret token in
 * the path (`/webhooks/smsbat/<token>`) or the `X-Webhook-Token` header authenticates the sender.
 * The body names only SMSBAT's message id: the receipt index says which flow (or bulk chunk and
 * slot) sent it. A receipt for an id nobody has claimed yet is parked in the index (the send's
 * answer may still be on its way) and costs no workflow; when the park is full, 503.
 */
export async function handleSmsbat(
  req: IncomingMessage,
  pathToken: string | undefined,
  rawBody: string,
  deps: SmsbatDeps,
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
  // One receipt per request as documented; a list of them is read as well.
  const bodies = Array.isArray(json) ? json : [json];
  const statuses: DeliveryStatus[] = [];
  for (const body of bodies) {
    try {
      statuses.push(parseSmsbatWebhook(body, { currency: deps.currency }));
    } catch (err) {
      if (err instanceof ProviderError) return reply(400, { error: err.message, field: err.field });
      throw err;
    }
    const problem = receiptFieldProblem(statuses.at(-1)!, 'messageId', 'deliverystatus');
    if (problem) return problem;
  }
  const outcomes = await Promise.all(statuses.map((s) => route(s, deps)));
  if (outcomes.includes('park_full')) {
    return { status: 503, body: { error: 'too many receipts wait for their sends; retry later' }, retryAfterSec: 60 };
  }
  return reply(200, { ok: true, ...(outcomes.length === 1 ? { result: outcomes[0] } : { results: outcomes }) });
}

async function route(status: DeliveryStatus, deps: SmsbatDeps): Promise<string> {
  if (status.unreadable)
    deps.log({ event: 'receipt_fields_unreadable', provider: 'smsbat', fields: status.unreadable });
  if (isProgressOnly(status)) return count(deps, 'not_final');
  const decision = await deps.receipts.route(status);
  if (decision.kind === 'parked') return count(deps, 'parked');
  if (decision.kind === 'full') return count(deps, 'park_full');
  if (decision.duplicate) return count(deps, 'duplicate');
  try {
    return count(deps, await forward(decision.owner, status, deps), status);
  } catch (err) {
    // Not in Temporal: the index must not take the provider's retry (after our 503) for a duplicate.
    await deps.receipts.release(status).catch(() => undefined);
    throw err;
  }
}

async function forward(owner: ReceiptOwner, status: DeliveryStatus, deps: SmsbatDeps): Promise<string> {
  if (owner.kind === 'flow') return deps.delivery.toFlow(owner.workflowId, status);
  if (status.state !== 'delivered' && status.state !== 'failed') return 'not_final';
  const forwarded = await deps.delivery.toBulk(owner.workflowId, {
    slot: owner.slot,
    providerMessageId: status.providerMessageId,
    state: status.state,
    rawStatus: status.rawStatus,
  });
  return forwarded === 'forwarded' ? 'forwarded_bulk' : forwarded;
}

function count(deps: SmsbatDeps, outcome: string, status?: DeliveryStatus): string {
  deps.count(outcome, status);
  return outcome;
}
