import { type IncomingMessage } from 'node:http';
import { ProviderError } from '../providers/errors';
import { parseReachCallback } from '../providers/reach/client';
import { validateReachSignature } from '../providers/reach/signature';
import { type DeliveryStatus } from '../shared/delivery-status';
import { type ReceiptDelivery } from './delivery';
import { reply, type Reply } from './http';
import { isProgressOnly, receiptFieldProblem } from './limits';
import { callbackTagMatches } from './urls';

export interface ReachDeps {
  apiKey: string;
  publicUrl: string;
  delivery: ReceiptDelivery;
  /** `status`: the receipt, once it reached its flow or chunk. */
  count(outcome: string, status?: DeliveryStatus): void;
  log(entry: Record<string, unknown>): void;
}

/**
 * Reach status callbacks: form-encoded, signed with `X-Reach-Signature` over the exact callback
 * URL and the parameters (reach.md, "Signature"). The URL we gave Reach names the workflow and a
 * tag that pins it (see urls.ts), so the receipt is signalled to it directly, at most once per
 * settled status: replayed callbacks cost nothing.
 */
export async function handleReach(
  req: IncomingMessage,
  tag: string | undefined,
  rawBody: string,
  deps: ReachDeps,
): Promise<Reply> {
  const header = req.headers['x-reach-signature'];
  const signature = Array.isArray(header) ? header[0] : header;
  if (!signature) return reply(400, { error: 'missing X-Reach-Signature' });

  const url = deps.publicUrl.replace(/\/+$/, '') + (req.url ?? '');
  const form = new URLSearchParams(rawBody);
  const params: Record<string, string | string[]> = {};
  for (const key of new Set(form.keys())) {
    const values = form.getAll(key);
    params[key] = values.length === 1 ? values[0] : values;
  }
  if (!validateReachSignature({ apiKey: deps.apiKey, signature, url, params })) {
    return reply(403, { error: 'signature does not validate' });
  }
  const query = new URL(url).searchParams;
  const workflowId = query.get('wf');
  if (!workflowId) return reply(400, { error: 'callback URL names no workflow' });
  const slotParam = query.get('slot');
  const slot = slotParam === null ? undefined : Number(slotParam);
  if (slot !== undefined && !(Number.isInteger(slot) && slot >= 0))
    return reply(400, { error: 'slot must be a whole number' });
  if (!tag || !callbackTagMatches(deps.apiKey, workflowId, slot, tag)) {
    return reply(403, {
      error: 'callback URL is not pinned to its workflow (sent before 0.2.0? that flow settles by polling)',
    });
  }
  let status;
  try {
    status = parseReachCallback(Object.fromEntries(form.entries()));
  } catch (err) {
    if (err instanceof ProviderError) return reply(400, { error: err.message, field: err.field });
    throw err;
  }
  const problem = receiptFieldProblem(status, 'messageId', 'status');
  if (problem) return problem;
  if (status.unreadable) deps.log({ event: 'receipt_fields_unreadable', provider: 'reach', fields: status.unreadable });
  if (isProgressOnly(status)) {
    deps.count('not_final');
    return reply(200, { ok: true, result: 'not_final' });
  }
  if (slot !== undefined) {
    // A bulk message: its chunk gets the settled receipts of all its messages in batches.
    if (status.state !== 'delivered' && status.state !== 'failed') return reply(200, { ok: true, result: 'not_final' });
    const result = await deps.delivery.toBulk(workflowId, {
      slot,
      providerMessageId: status.providerMessageId,
      state: status.state,
      rawStatus: status.rawStatus,
    });
    deps.count(result === 'forwarded' ? 'forwarded_bulk' : result, status);
    return reply(200, { ok: true, result });
  }
  const result = await deps.delivery.toFlow(workflowId, status);
  deps.count(result, status);
  return reply(200, { ok: true, result });
}
