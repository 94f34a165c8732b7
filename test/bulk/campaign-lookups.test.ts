import { type TestWorkflowEnvironment } from '@temporalio/testing';
import { progressQuery } from '../../src/shared/messages';
import { type BulkProgress } from '../../src/shared/types';
import { bulkSend } from '../../src/workflows';
import { createTimeSkippingEnvironment } from '../../src/testing/environment';
import { startHarness, uniqueId, type Harness } from '../support/cascade';

/**
 * Receipts pushed by webhook that never came (time-skipping, receiver on): the chunk's look-up of
 * its late messages is the safety net, and what it finds shows in the campaign's progress at once.
 */
describe('bulkSend when pushed receipts are lost (time-skipping)', () => {
  let env: TestWorkflowEnvironment;
  let h: Harness;
  beforeAll(async () => {
    env = await createTimeSkippingEnvironment();
    h = await startHarness(env, { receiver: true });
  });
  afterAll(async () => {
    await h?.close();
    await env?.teardown();
  });

  test("a look-up's answers reach the campaign's progress while the chunk still waits for its last message", async () => {
    const messages = Array.from({ length: 10 }, (_, i) => ({
      id: `look-${i}`,
      phone: `+38067300${String(i).padStart(2, '0')}101`,
      text: `Sale ${i}`,
    }));
    // Every webhook is dropped; one message never settles, so the chunk keeps tracking after its look-up.
    h.sim.setFaults('smsbat', { receiptLossRate: 1 });
    h.sim.script({ provider: 'smsbat', recipient: messages[9].phone, outcome: { kind: 'pending' } });
    const bulkId = uniqueId('lookups');
    const handle = await env.client.workflow.start(bulkSend, {
      taskQueue: h.taskQueue,
      workflowId: `bulk:${bulkId}`,
      args: [{ bulkId, step: { channel: 'smsbat', fromName: 'Shop' }, messages, trackFor: '2h' }],
    });
    let progress: BulkProgress | undefined;
    for (let i = 0; i < 100 && !(progress?.delivered === 9); i++) {
      await env.sleep('20s');
      progress = await handle.query(progressQuery).catch(() => undefined);
    }
    expect(progress).toMatchObject({ total: 10, sent: 10, delivered: 9, pending: 1 });
    expect((await handle.describe()).status.name).toBe('RUNNING');
    // Found by asking, not pushed: one status look-up per message.
    expect(h.sim.requests('smsbat').filter((r) => r.method === 'GET').length).toBeGreaterThanOrEqual(10);
    await handle.terminate('done');
  }, 180_000);
});
