import { condition, getExternalWorkflowHandle, setHandler } from '@temporalio/workflow';
import { toMs } from '../shared/durations';
import { type DeliveryStatus } from '../shared/delivery-status';
import { receiptOwnerSignal, receiptSignal } from '../shared/messages';
import { ROUTER_LIFETIME, ROUTER_OWNER_WAIT } from './policies';

/**
 * Routes receipts for one provider message to the workflow that sent it. SMSBAT posts every
 * receipt to one account-wide URL with nothing but its own message id, and a receipt can beat the
 * send activity's answer: the webhook receiver and the send activity both signal-with-start this
 * router (id from `receiptRouterId` in shared/messages), in whichever order, and it forwards once it knows the owner.
 * A receipt for an id nobody claims within ROUTER_OWNER_WAIT is dropped: acknowledged, no effect.
 */
export async function receiptRouter(): Promise<{ owner?: string; forwarded: number }> {
  let owner: string | undefined;
  const queue: DeliveryStatus[] = [];
  setHandler(receiptOwnerSignal, ({ workflowId }) => void (owner ??= workflowId));
  setHandler(receiptSignal, (status) => void queue.push(status));

  if (!(await condition(() => owner !== undefined, ROUTER_OWNER_WAIT))) return { forwarded: 0 };

  const target = getExternalWorkflowHandle(owner!);
  const until = Date.now() + toMs(ROUTER_LIFETIME);
  let forwarded = 0;
  for (;;) {
    while (queue.length > 0) {
      const status = queue.shift()!;
      try {
        await target.signal(receiptSignal, status);
        forwarded++;
      } catch {
        // The owner has completed: nothing left to tell it.
        return { owner, forwarded };
      }
      if (status.state === 'delivered' || status.state === 'failed') return { owner, forwarded };
    }
    const left = until - Date.now();
    if (left <= 0 || !(await condition(() => queue.length > 0, left))) return { owner, forwarded };
  }
}
