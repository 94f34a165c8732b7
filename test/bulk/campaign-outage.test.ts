import { type TestWorkflowEnvironment } from '@temporalio/testing';
import { progressQuery, resumeSignal } from '../../src/shared/messages';
import { bulkSend } from '../../src/workflows';
import { BULK_CHUNK_MAX_EVENTS } from '../../src/workflows/policies';
import { createTimeSkippingEnvironment } from '../../src/testing/environment';
import { startHarness, uniqueId, type Harness } from '../support/cascade';

/**
 * Provider outages and long tracking on the time-skipping server: backoffs, pauses and days of
 * tracking pass in seconds, while the simulator counts what was sent.
 */
describe('bulkSend through an outage and long tracking (time-skipping)', () => {
  let env: TestWorkflowEnvironment;
  let h: Harness;
  beforeAll(async () => {
    env = await createTimeSkippingEnvironment();
    h = await startHarness(env);
  });
  afterAll(async () => {
    await h?.close();
    await env?.teardown();
  });
  afterEach(() => h.sim.setFaults('all', {}));

  const messagesFor = (prefix: string, digit: number, n: number) =>
    Array.from({ length: n }, (_, i) => ({
      id: `${prefix}-${i}`,
      phone: `+38067${digit}${String(i).padStart(3, '0')}101`,
      text: `Sale ${i}`,
    }));
  const copies = (prefix: string) => {
    const seen = new Map<string, number>();
    for (const m of h.sim.messages('smsbat'))
      if (m.trackingKey?.startsWith(`${prefix}-`)) seen.set(m.trackingKey, (seen.get(m.trackingKey) ?? 0) + 1);
    return seen;
  };

  /** Skips time until the campaign shows it paused itself. */
  async function untilPaused(handle: { query: (q: typeof progressQuery) => Promise<{ pausedReason?: string }> }) {
    for (let i = 0; i < 200; i++) {
      const p = await handle.query(progressQuery).catch(() => undefined);
      if (p?.pausedReason) return p;
      await env.sleep('20s');
    }
    throw new Error('the campaign never paused');
  }

  // Item 4: a chunk whose batch failed for good pauses the campaign, resumable from where it stopped.
  test('an outage mid-campaign pauses it (provider unavailable); resume completes it without re-sending', async () => {
    const prefix = 'out';
    const messages = messagesFor(prefix, 1, 40);
    const bulkId = uniqueId('outage');
    const handle = await env.client.workflow.start(bulkSend, {
      taskQueue: h.taskQueue,
      workflowId: `bulk:${bulkId}`,
      args: [{ bulkId, step: { channel: 'smsbat', fromName: 'Shop' }, messages, batchSize: 10, ratePerSecond: 5 }],
    });
    while (copies(prefix).size < 10) await new Promise((r) => setTimeout(r, 100));
    h.sim.setFaults('smsbat', { errorRate: 1 }); // every request answered 500/503
    const paused = await untilPaused(handle);
    expect(paused).toMatchObject({ paused: true, pausedReason: 'provider unavailable' });
    const desc = await handle.describe();
    expect(desc.status.name).toBe('RUNNING');

    h.sim.setFaults('smsbat', {});
    await handle.signal(resumeSignal);
    const final = await handle.result();
    expect(final).toMatchObject({ total: 40, sent: 40, queued: 0, paused: false });
    const seen = copies(prefix);
    expect(seen.size).toBe(40);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
  }, 300_000);

  test('with autoResume the campaign goes on by itself once the provider is back', async () => {
    const prefix = 'auto';
    const messages = messagesFor(prefix, 2, 20);
    const bulkId = uniqueId('auto');
    h.sim.setFaults('smsbat', { errorRate: 1 });
    const handle = await env.client.workflow.start(bulkSend, {
      taskQueue: h.taskQueue,
      workflowId: `bulk:${bulkId}`,
      args: [{ bulkId, step: { channel: 'smsbat', fromName: 'Shop' }, messages, batchSize: 10, autoResume: '5m' }],
    });
    await untilPaused(handle);
    h.sim.setFaults('smsbat', {});
    const final = await handle.result();
    expect(final).toMatchObject({ total: 20, sent: 20, queued: 0 });
    expect([...copies(prefix).values()]).toEqual(Array(20).fill(1));
  }, 300_000);

  // Item 5: long tracking continues as new, carrying the message states.
  test('tracking for hours continues the chunk as new: every run stays small, the states carry over', async () => {
    const prefix = 'long';
    const messages = messagesFor(prefix, 3, 3);
    h.sim.script({ provider: 'smsbat', recipient: messages[0].phone, outcome: { kind: 'pending' } });
    const bulkId = uniqueId('long');
    const final = await env.client.workflow.execute(bulkSend, {
      taskQueue: h.taskQueue,
      workflowId: `bulk:${bulkId}`,
      args: [{ bulkId, step: { channel: 'smsbat', fromName: 'Shop' }, messages, trackFor: '16h' }],
    });
    expect(final).toMatchObject({ total: 3, sent: 3, delivered: 2, pending: 1 });
    const chunkId = `bulk:${bulkId}:chunk:0`;
    const runs: number[] = [];
    // Walk the runs back from the last: each names the run it continued.
    for (let runId: string | undefined = undefined; ;) {
      const { events } = await env.client.workflow.getHandle(chunkId, runId).fetchHistory();
      runs.push(events!.length);
      runId = events![0].workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
      if (!runId) break;
    }
    expect(runs.length).toBeGreaterThan(1);
    for (const n of runs) expect(n).toBeLessThan(BULK_CHUNK_MAX_EVENTS + 100);
  }, 300_000);
});
