import { createHmac } from 'node:crypto';
import { secretsEqual } from '../security/constant-time';

/**
 * The status-callback URL handed to Reach: `/webhooks/reach/<tag>?wf=<workflow id>`, and for a
 * bulk message also `&slot=<its index in the chunk>`. Reach's signature joins the URL and the
 * parameters without separators, so characters can be moved from the URL into a parameter name
 * and still validate (`wf=…-12` re-aimed at `wf=…-1`). The tag — a keyed digest of the workflow id
 * (and slot) — pins them: a URL naming another flow needs its tag, which only a holder of the Reach
 * API key can make.
 */
export function reachCallbackUrl(publicBaseUrl: string, apiKey: string, workflowId: string, slot?: number): string {
  const base = publicBaseUrl.replace(/\/+$/, '');
  const slotParam = slot === undefined ? '' : `&slot=${slot}`;
  return `${base}/webhooks/reach/${callbackTag(apiKey, workflowId, slot)}?wf=${encodeURIComponent(workflowId)}${slotParam}`;
}

export function callbackTag(apiKey: string, workflowId: string, slot?: number): string {
  const pinned = slot === undefined ? workflowId : `${workflowId}#${slot}`;
  return createHmac('sha256', apiKey)
    .update(`temporal-cascade reach callback|${pinned}`)
    .digest('base64url')
    .slice(0, 22);
}

export function callbackTagMatches(apiKey: string, workflowId: string, slot: number | undefined, tag: string): boolean {
  return secretsEqual(callbackTag(apiKey, workflowId, slot), tag);
}

/** Where SMSBAT's account manager points the account's webhook (the token authenticates it). */
export function smsbatWebhookUrl(publicBaseUrl: string, token: string): string {
  return `${publicBaseUrl.replace(/\/+$/, '')}/webhooks/smsbat/${encodeURIComponent(token)}`;
}
