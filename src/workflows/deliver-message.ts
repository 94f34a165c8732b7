import { CancellationScope, condition, setHandler } from '@temporalio/workflow';
import { toMs } from '../shared/durations';
import { cancelSignal, statusQuery } from '../shared/messages';
import type { DeliverMessageInput } from '../shared/schemas';
import { type DeliveryResult } from '../shared/types';
import { cancelAtProviders, FallbackChain, type FlowControl } from './fallback-chain';
import { resolveParams } from './input';
import { startDeadline } from './timers';
import { formatDuration, showDetails, showStatus } from './visibility';

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

  const { params, v2, v3 } = await resolveParams('deliverMessage', input);
  chain = new FallbackChain(flow, { local: v2, v3 });
  const run = chain;

  // The flow's main line. Since 0.3 native cancellation (Web UI, handle.cancel(), a parent) does not
  // interrupt it: it ends the flow as the `cancel` signal does (a send in flight finishes, so a
  // message the provider took is known and cancelled there if it can be), with a `canceled` result.
  const main = async (): Promise<DeliveryResult> => {
    if (params.sendAt !== undefined) {
      const waitMs = Date.parse(params.sendAt) - Date.now();
      if (waitMs > 0) {
        run.phase = 'scheduled';
        showDetails(`scheduled: first send at ${params.sendAt}`);
        await condition(() => flow.canceled || flow.expired, waitMs, { summary: `sendAt ${params.sendAt}` });
      }
    }

    // The TTL is the message's: it runs from the first send, not from a scheduled start.
    if (params.ttl !== undefined) {
      const ttlMs = toMs(params.ttl);
      flow.deadline = Date.now() + ttlMs;
      const note = v3 ? 'no step starts after this; the one in flight finishes' : 'no step starts after this';
      startDeadline(ttlMs, `TTL ${formatDuration(ttlMs)}: ${note}`, () => {
        flow.expired = true;
      });
    }

    const result = await run.run({
      sendNo: 1,
      steps: params.steps,
      startStep: 0,
      recipient: params.recipient,
      content: { kind: 'text', text: params.text },
      last: true,
    });
    outcome = result === 'stopped' ? 'canceled' : result;

    if (outcome === 'canceled') await cancelAtProviders(run, v3);
    // The TTL timer is not cancelled: the run ends here and the server drops it (one event fewer).
    showStatus(outcome);
    showDetails(outcome);
    return { status: outcome, deliveredBy: run.deliveredBy(), attempts: run.attempts };
  };
  if (!v3) return main();
  CancellationScope.current().cancelRequested.catch(() => void (flow.canceled = true));
  return CancellationScope.nonCancellable(main);
}
