import { type Client, WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { CascadeFlowNotFoundError } from '../client';
import { type Attempt, type BulkProgress, type DeliveryProgress, type OtpState } from '../shared/types';
import { describeAttempt, isoTimes, progressBar } from './format';

/**
 * Each workflow type's name for people and the query that reads its state, by name (a type this
 * table does not know, or one that has no such query any more, is described without it).
 */
const KINDS: Record<string, { label: string; query?: string }> = {
  deliverMessage: { label: 'message delivery', query: 'status' },
  otpVerification: { label: 'OTP verification', query: 'state' },
  bulkSend: { label: 'campaign', query: 'progress' },
  bulkChunk: { label: 'campaign chunk', query: 'progress' },
  abuseGuard: { label: 'abuse guard', query: 'guardState' },
};

export interface FlowStatusView {
  id: string;
  type: string;
  kind: string;
  execution: string;
  startedAt: string;
  closedAt?: string;
  /** What the flow's own query answers (ISO times); absent when it cannot answer. */
  progress?: unknown;
  /** Why a flow that failed, timed out or was terminated ended so. */
  failure?: string;
  note?: string;
}

export async function flowStatus(client: Client, id: string): Promise<FlowStatusView> {
  const handle = client.workflow.getHandle(id);
  let d;
  try {
    d = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new CascadeFlowNotFoundError(id);
    throw err;
  }
  const known = KINDS[d.type];
  const view: FlowStatusView = {
    id,
    type: d.type,
    kind: known?.label ?? d.type,
    execution: d.status.name,
    startedAt: d.startTime.toISOString(),
    ...(d.closeTime ? { closedAt: d.closeTime.toISOString() } : {}),
  };
  if (['FAILED', 'TIMED_OUT', 'TERMINATED'].includes(d.status.name)) {
    view.failure = await handle.result().then(
      () => undefined,
      (err: unknown) => failureMessage(err),
    );
  }
  if (known?.query) {
    try {
      view.progress = isoTimes(await handle.query(known.query));
    } catch (err) {
      // A flow that failed early may end before it could answer; otherwise no worker answered.
      if (!view.failure) view.note = `its state cannot be read now (is a worker running? ${(err as Error).message})`;
    }
  } else {
    view.note = `a ${d.type} workflow: temporal-cascade shows no state for it`;
  }
  return view;
}

export function failureMessage(err: unknown): string {
  let e: unknown = err;
  // The innermost cause names the reason (WorkflowFailedError → ApplicationFailure …).
  while (e instanceof Error && (e as { cause?: unknown }).cause instanceof Error) e = (e as { cause: Error }).cause;
  if (err instanceof WorkflowFailedError && e === err) return err.message;
  return e instanceof Error ? e.message : String(e);
}

/** The status for people: a headline, then what the flow's kind says. */
export function renderStatus(s: FlowStatusView): string {
  const lines = [
    `${s.id} — ${s.kind}, ${s.execution.toLowerCase()}; started ${s.startedAt}${s.closedAt ? `, closed ${s.closedAt}` : ''}`,
  ];
  if (s.failure) lines.push(`  reason: ${s.failure}`);
  const p = s.progress as Record<string, unknown> | undefined;
  if (p && s.type === 'deliverMessage') lines.push(...delivery(p as unknown as DeliveryProgress));
  else if (p && s.type === 'otpVerification') {
    const o = p as unknown as OtpState & { expiresAt: string; nextResendAt: string };
    lines.push(
      `  ${o.status}: ${o.attemptsLeft} verify attempts left, ${o.sends} sent (${o.sendsLeft} more allowed)`,
      `  expires ${o.expiresAt}; next resend from ${o.nextResendAt}`,
      ...delivery(o.delivery),
    );
  } else if (p && (s.type === 'bulkSend' || s.type === 'bulkChunk'))
    lines.push(`  ${progressBar(p as unknown as BulkProgress)}`);
  else if (p)
    lines.push(
      ...Object.entries(p).map(([k, v]) => `  ${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`),
    );
  if (s.note) lines.push(`  ${s.note}`);
  return lines.join('\n');
}

function delivery(d: DeliveryProgress | undefined): string[] {
  if (!d) return [];
  const head = `  ${d.phase.replace(/_/g, ' ')}${d.outcome ? `: ${d.outcome}` : ''}`;
  return [
    head,
    ...d.attempts.map((a: Attempt, i) => `    ${i + 1}. ${describeAttempt(a)}${a.sentAt ? ` (sent ${a.sentAt})` : ''}`),
  ];
}
