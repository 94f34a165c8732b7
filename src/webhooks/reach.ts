import { type IncomingMessage } from 'node:http';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { ProviderError } from '../providers/errors';
import { parseReachCallback } from '../providers/reach/client';
import { validateReachSignature } from '../providers/reach/signature';
import { receiptSignal } from '../shared/messages';
import { reply, type Reply } from './http';

/**
 * Reach status callbacks: form-encoded, signed with `X-Reach-Signature` over the exact callback
 * URL and the parameters (reach.md, "Signature"). The URL we gave Reach names the workflow
 * (`?wf=`), and the signature protects that name, so the receipt is signalled to it directly.
 */
export async function handleReach(
  req: IncomingMessage,
  rawBody: string,
  deps: { apiKey: string; publicUrl: string; client: Client },
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

  const workflowId = new URL(url).searchParams.get('wf');
  if (!workflowId) return reply(400, { error: 'callback URL names no workflow' });
  let status;
  try {
    status = parseReachCallback(Object.fromEntries(form.entries()));
  } catch (err) {
    if (err instanceof ProviderError) return reply(400, { error: err.message, field: err.field });
    throw err;
  }
  try {
    await deps.client.workflow.getHandle(workflowId).signal(receiptSignal, status);
  } catch (err) {
    // The flow has ended: a late receipt, acknowledged without effect.
    if (err instanceof WorkflowNotFoundError) return reply(200, { ok: true, ignored: 'workflow closed' });
    throw err;
  }
  return reply(200, { ok: true });
}
