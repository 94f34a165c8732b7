import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { bulkWorkflowId } from '../shared/ids';
import { resumeSignal } from '../shared/messages';
import { BulkSendInputSchema } from '../shared/schemas';
import { CURRENT_CHANNEL, FLOW_KIND, TRACKING_ID } from '../shared/search-attributes';
import { type BulkMessageState } from '../shared/types';
import { bulkResumeStateQuery, chunkCarryQuery, type ChunkCarry } from '../workflows/bulk-signals';
import { CascadeFlowNotFoundError } from './errors';

export type BulkResumeResult =
  | { id: string; resumed: 'signaled' }
  | { id: string; resumed: 'restarted'; from: number }
  | { id: string; resumed: false; reason: string };

/**
 * Resumes a campaign: a running one (paused, or paused by its provider's trouble) gets the `resume`
 * signal; one that ended without finishing (failed, terminated, canceled, timed out) starts again
 * under its id from its recorded progress: the cursor of its last run and, for the chunk it was in,
 * that chunk's message states (messages whose send was in flight are looked up where the provider
 * can be asked, else reported `unknown`). Nothing already sent is sent again.
 */
export async function resumeBulk(client: Client, taskQueue: string, bulkId: string): Promise<BulkResumeResult> {
  const id = bulkWorkflowId(bulkId);
  const handle = client.workflow.getHandle(id);
  let status: string;
  try {
    status = (await handle.describe()).status.name;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new CascadeFlowNotFoundError(id);
    throw err;
  }
  if (status === 'RUNNING') {
    await handle.signal(resumeSignal);
    return { id, resumed: 'signaled' };
  }
  if (status === 'COMPLETED') return { id, resumed: false, reason: 'the campaign completed: nothing to resume' };
  const state = await handle.query(bulkResumeStateQuery);
  if (state.cursor >= state.total) return { id, resumed: false, reason: 'every message was handed over already' };
  const chunk = state.runningChunk ? await chunkStates(client, state.runningChunk) : undefined;
  const params = BulkSendInputSchema.parse(state.params);
  await client.workflow.start('bulkSend', {
    args: [
      params,
      {
        cursor: state.cursor,
        total: state.total,
        done: state.done,
        paused: false,
        ...(state.sha256 ? { sha256: state.sha256 } : {}),
        ...(chunk ? { chunk } : {}),
      },
    ],
    workflowId: id,
    taskQueue,
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    staticSummary: `Campaign ${params.bulkId} resumed at message ${state.cursor + 1}`,
    typedSearchAttributes: [
      { key: FLOW_KIND, value: 'bulkSend' },
      { key: TRACKING_ID, value: params.bulkId },
      { key: CURRENT_CHANNEL, value: params.step.channel },
    ],
  });
  return { id, resumed: 'restarted', from: state.cursor };
}

/** The states of the chunk a campaign was in; a send that was in flight counts as lost (asked about, never re-posted blindly). */
async function chunkStates(client: Client, chunkId: string): Promise<ChunkCarry | undefined> {
  const carry = await client.workflow
    .getHandle(chunkId)
    .query(chunkCarryQuery)
    .catch(() => undefined);
  if (!carry) return undefined;
  const states = carry.states.map(
    (s, slot): BulkMessageState | null =>
      s ??
      (slot < carry.next ? { id: '', state: 'queued', error: 'in flight when the campaign ended', lost: true } : null),
  );
  return { states, next: carry.next, receiptsPushed: carry.receiptsPushed };
}
