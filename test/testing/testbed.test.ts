import { type TestWorkflowEnvironment } from '@temporalio/testing';
import { statusQuery } from '../../src/shared/messages';
import { createLocalEnvironment } from '../../src/testing/environment';
import { CascadeTestbed } from '../../src/testing/testbed';
import { deliverMessage } from '../../src/workflows';
import { uniqueId, uniquePhone } from '../support/cascade';
import { waitFor } from '../support/wait';

jest.setTimeout(180_000);

/**
 * The testing kit's worker and receiver share provider health, as a deployment's do: a worker that
 * never heard of its receipts would take the simulator for a silent provider once ten sends went
 * unanswered for 30 s, and a user's suite would see steps skipped for nothing.
 */
describe('CascadeTestbed', () => {
  let env: TestWorkflowEnvironment;
  let bed: CascadeTestbed;

  beforeAll(async () => {
    env = await createLocalEnvironment();
    bed = await CascadeTestbed.start({ env, workflowsPath: require.resolve('../support/test-workflows') });
  });
  afterAll(async () => {
    await bed?.close();
    await env?.teardown();
  });

  test('a receipt the receiver forwards counts in the health the worker decides with', async () => {
    const phone = uniquePhone();
    // No receipt until the test settles it: it comes through the receiver, not parked beside the send.
    bed.sim.script({ provider: 'smsbat', recipient: phone, outcome: { kind: 'pending' } });
    const handle = await env.client.workflow.start(deliverMessage, {
      taskQueue: bed.taskQueue,
      workflowId: `deliver:${uniqueId('testbed')}`,
      args: [
        {
          trackingId: uniqueId('testbed'),
          recipient: { phone },
          text: 'Your order has shipped',
          steps: [{ channel: 'smsbat', fromName: 'Shop' }],
        },
      ],
    });
    await waitFor(
      async () => (await handle.query(statusQuery)).phase === 'waiting_for_receipt',
      60_000,
      'the receipt wait',
    );
    const [message] = bed.sim.messages('smsbat').filter((m) => m.recipient === phone);
    expect(bed.sim.settle('smsbat', message.messageId, 'delivered')).toBe(true);
    expect((await handle.result()).status).toBe('delivered');
    await bed.health.flush();
    const smsbat = (await bed.health.status()).find((s) => s.key === 'smsbat');
    expect(smsbat?.recent).toMatchObject({ pushedSends: 1, receipts: 1 });
  });
});
