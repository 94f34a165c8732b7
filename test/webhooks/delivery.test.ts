import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { type DeliveryStatus } from '../../src/shared/delivery-status';
import { ReceiptDelivery } from '../../src/webhooks/delivery';

/** A client whose every signal finds the flow ended, counting the signals it was asked for. */
function endedFlows() {
  const signals: string[] = [];
  const client = {
    workflow: {
      getHandle: (workflowId: string) => ({
        signal: async () => {
          signals.push(workflowId);
          throw new WorkflowNotFoundError('workflow execution already completed', workflowId, undefined);
        },
      }),
    },
  } as unknown as Client;
  return { client, signals };
}

const delivered: DeliveryStatus = {
  provider: 'smsbat',
  providerMessageId: 'msg-1',
  state: 'delivered',
  rawStatus: 'delivered',
};

describe('ReceiptDelivery and flows that already ended', () => {
  test('the receipt counts for health once; its replays are duplicates that signal nothing', async () => {
    const { client, signals } = endedFlows();
    const observed: DeliveryStatus[] = [];
    const delivery = new ReceiptDelivery(client, (s) => observed.push(s));
    expect(await delivery.toFlow('deliver:a', delivered)).toBe('closed');
    expect(await delivery.toFlow('deliver:a', delivered)).toBe('duplicate');
    expect(await delivery.toFlow('deliver:a', { ...delivered, rawStatus: 'DELIVERED' })).toBe('duplicate');
    expect(observed).toEqual([delivered]);
    expect(signals).toEqual(['deliver:a']);
  });

  test('copies arriving together reach the flow once and count once', async () => {
    const { client, signals } = endedFlows();
    const observed: DeliveryStatus[] = [];
    const delivery = new ReceiptDelivery(client, (s) => observed.push(s));
    const answers = await Promise.all(Array.from({ length: 5 }, () => delivery.toFlow('deliver:b', delivered)));
    expect(answers.filter((a) => a === 'closed')).toHaveLength(1);
    expect(observed).toHaveLength(1);
    expect(signals).toHaveLength(1);
  });
});
