import { type TestWorkflowEnvironment } from '@temporalio/testing';
import { type SimQuirk } from '../../src/sim/types';
import { type DeliverMessageInput } from '../../src/shared/schemas';
import { createLocalEnvironment } from '../../src/testing/environment';
import { deliverMessage } from '../../src/workflows';
import { startHarness, uniqueId, uniquePhone, type Harness } from '../support/cascade';

/**
 * End to end, what real providers send instead of what their documents show: each receipt below
 * reaches its flow through the receiver and settles it, with no safety-net poll (a refused
 * receipt would leave the step waiting for the poll, or for its timeout and a second message).
 */
describe('receipts as real providers send them (dev server, receiver, simulator quirks)', () => {
  let env: TestWorkflowEnvironment;
  let h: Harness;

  beforeAll(async () => {
    env = await createLocalEnvironment();
    h = await startHarness(env, { receiver: true, env: { SMSBAT_CURRENCY: 'UAH' } });
  });
  afterAll(async () => {
    await h?.close();
    await env?.teardown();
  });

  async function deliverWith(channel: 'smsbat' | 'reach', quirks: SimQuirk[], outcome: 'deliver' | 'fail' = 'deliver') {
    const phone = uniquePhone();
    const input: DeliverMessageInput = {
      trackingId: uniqueId('quirk'),
      recipient: { phone },
      text: 'Your parcel is on its way',
      steps: [
        channel === 'smsbat'
          ? { channel, fromName: 'Shop', deliveryTimeout: '2m' }
          : { channel, src: 'Shop', deliveryTimeout: '2m' },
      ],
    };
    h.sim.script({
      recipient: phone,
      provider: channel,
      outcome: outcome === 'deliver' ? { kind: 'deliver', afterMs: 200 } : { kind: 'fail', afterMs: 200 },
      quirks,
    });
    const result = await env.client.workflow.execute(deliverMessage, {
      args: [input],
      workflowId: `deliver:${input.trackingId}`,
      taskQueue: h.taskQueue,
    });
    const attempt = result.attempts[0];
    const polls = h.sim
      .requests(channel)
      .filter(
        (r) =>
          r.method === 'GET' &&
          (r.path.includes(attempt.providerMessageId!) || r.query.get('messageId') === attempt.providerMessageId),
      );
    return { result, attempt, polls };
  }

  test('SMSBAT: cost null, a zone-less timestamp, "Delivered", unknown fields — settled by the webhook, no poll', async () => {
    const { result, attempt, polls } = await deliverWith('smsbat', [
      'smsbat-webhook-cost-null',
      'smsbat-webhook-zoneless-time',
      'status-case',
      'unknown-fields',
    ]);
    expect(result.status).toBe('delivered');
    expect(attempt.status).toBe('delivered');
    expect(attempt.cost).toBeUndefined(); // null is "not said", never 0
    expect(polls).toHaveLength(0);
  });

  test('SMSBAT: a cost as a string is read as a number, in the account currency (SMSBAT_CURRENCY)', async () => {
    const { attempt, polls } = await deliverWith('smsbat', ['smsbat-webhook-cost-string']);
    expect(attempt.status).toBe('delivered');
    expect(typeof attempt.cost).toBe('number');
    expect(attempt.cost).toBeGreaterThan(0);
    expect(attempt.currency).toBe('UAH');
    expect(polls).toHaveLength(0);
  });

  test('SMSBAT: "UNDELIVERABLE" in capitals fails the step at once, by the webhook', async () => {
    const { result, attempt, polls } = await deliverWith('smsbat', ['status-case'], 'fail');
    expect(result.status).toBe('failed');
    expect(attempt.status).toBe('failed');
    expect(polls).toHaveLength(0);
  });

  test('Reach: dlrDate="" and empty error fields settle the attempt by the callback, with the price from the send', async () => {
    const { result, attempt, polls } = await deliverWith('reach', [
      'reach-dlr-empty',
      'reach-error-code-empty',
      'status-case',
      'unknown-fields',
    ]);
    expect(result.status).toBe('delivered');
    expect(attempt.status).toBe('delivered');
    expect(attempt.cost).toBeGreaterThan(0);
    expect(attempt.currency).toMatch(/^[A-Z]{3}$/);
    expect(polls).toHaveLength(0);
  });

  test('Reach: a 12-digit dlrDate settles the attempt by the callback', async () => {
    const { attempt, polls } = await deliverWith('reach', ['reach-dlr-12-digits']);
    expect(attempt.status).toBe('delivered');
    expect(polls).toHaveLength(0);
  });
});
