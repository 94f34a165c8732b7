import { condition, proxyActivities, setHandler } from '@temporalio/workflow';
import type { CascadeActivities } from '../activities/types';
import { toMs } from '../shared/durations';
import { cancelSignal, statusQuery } from '../shared/messages';
import type { DeliverMessageInput } from '../shared/schemas';
import { type DeliveryResult } from '../shared/types';
import { FallbackChain, type FlowControl } from './fallback-chain';
import { resolveParams } from './input';
import { POLL } from './policies';
import { isSettled } from './receipts';
import { startDeadline } from './timers';
import { formatDuration, showDetails, showStatus } from './visibility';

const { cancelScheduled } = proxyActivities<CascadeActivities>(POLL);

/**
 * Delivers one message through an ordered chain of channels: each step sends, waits for its
 * delivery receipt, and falls back to the next when the receipt says failed or does not come in
 * time. `sendAt` is a durable timer before the first send; `ttl` one durable timer from then over
 * the rest of the flow.
 */
export async function deliverMessage(input: DeliverMessageInput): Promise<DeliveryResult> {
  const flow: FlowControl = { canceled: false, expired: false };
  let chain: FallbackChain | undefined;
  let outcome: DeliveryResult['status'] | undefined;
  setHandler(cancelSignal, () => void (flow.canceled = true));
  setHandler(statusQuery, () => chain?.progress(outcome) ?? { phase: 'sending', attempts: [] });

  const { params, v2 } = await resolveParams('deliverMessage', input);
  chain = new FallbackChain(flow, { local: v2 });

  if (params.sendAt !== undefined) {
    const waitMs = Date.parse(params.sendAt) - Date.now();
    if (waitMs > 0) {
      chain.phase = 'scheduled';
      showDetails(`scheduled: first send at ${params.sendAt}`);
      await condition(() => flow.canceled || flow.expired, waitMs, { summary: `sendAt ${params.sendAt}` });
    }
  }

  // The TTL is the message's: it runs from the first send, not from a scheduled start.
  if (params.ttl !== undefined) {
    const ttlMs = toMs(params.ttl);
    flow.deadline = Date.now() + ttlMs;
    startDeadline(ttlMs, `TTL ${formatDuration(ttlMs)}: no step starts after this`, () => {
      flow.expired = true;
    });
  }

  const result = await chain.run({
    sendNo: 1,
    steps: params.steps,
    startStep: 0,
    recipient: params.recipient,
    content: { kind: 'text', text: params.text },
    last: true,
  });
  outcome = result === 'stopped' ? 'canceled' : result;

  if (outcome === 'canceled') await cancelAtProviders(chain);
  // The TTL timer is not cancelled: the run ends here and the server drops it (one event fewer).
  showStatus(outcome);
  showDetails(outcome);
  return { status: outcome, deliveredBy: chain.deliveredBy(), attempts: chain.attempts };
}

/** A message still waiting at the provider (its channel said so when it was sent) is cancelled there. */
async function cancelAtProviders(chain: FallbackChain): Promise<void> {
  for (const attempt of chain.attempts) {
    if (!attempt.cancellable || isSettled(attempt) || !attempt.providerMessageId) continue;
    try {
      const status = await cancelScheduled({
        provider: attempt.provider,
        providerMessageId: attempt.providerMessageId,
      });
      if (status) attempt.status = 'canceled';
    } catch {
      // best effort: the message may have left the schedule meanwhile
    }
  }
}
