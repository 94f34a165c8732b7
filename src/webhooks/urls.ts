/**
 * The status-callback URL handed to Reach: it names the workflow, and Reach's signature over the
 * exact URL protects that name (reach.md, "Signature").
 */
export function reachCallbackUrl(publicBaseUrl: string, workflowId: string): string {
  const base = publicBaseUrl.replace(/\/+$/, '');
  return `${base}/webhooks/reach?wf=${encodeURIComponent(workflowId)}`;
}

/** Where SMSBAT's account manager points the account's webhook (the token authenticates it). */
export function smsbatWebhookUrl(publicBaseUrl: string, token: string): string {
  return `${publicBaseUrl.replace(/\/+$/, '')}/webhooks/smsbat/${encodeURIComponent(token)}`;
}
