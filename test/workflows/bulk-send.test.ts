import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bulkMessagesQuery, progressQuery } from '../../src/shared/messages';
import { type BulkProgress } from '../../src/shared/types';
import { bulkSend } from '../../src/workflows';
import { uniqueId, useLocalHarness } from '../support/cascade';

describe('bulkSend (dev server, simulator)', () => {
  const t = useLocalHarness();

  test('20 000 messages from a CSV file: SMSBAT requests of ≤ 1000, all accounted for, bounded histories', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulk-'));
    const file = join(dir, 'campaign.csv');
    const rows = Array.from({ length: 20_000 }, (_, i) => `m-${i},+38067${5000001 + i * 10},"Sale, today only: ${i}"`);
    writeFileSync(file, `id,phone,text\n${rows.join('\n')}\n`);
    const bulkId = uniqueId('campaign');

    const handle = await t.env.client.workflow.start(bulkSend, {
      taskQueue: t.h.taskQueue,
      workflowId: `bulk:${bulkId}`,
      args: [{ bulkId, step: { channel: 'smsbat', fromName: 'Shop' }, file: { path: file }, ratePerSecond: 10_000 }],
    });
    const seen: BulkProgress[] = [];
    const result = handle.result();
    let done = false;
    void result.finally(() => (done = true)).catch(() => undefined);
    while (!done) {
      const p = await handle.query(progressQuery).catch(() => undefined);
      if (p) seen.push(p);
      await new Promise((r) => setTimeout(r, 200));
    }
    const final = await result;

    expect(final).toMatchObject({ total: 20_000, sent: 20_000, delivered: 20_000, failed: 0, pending: 0, queued: 0 });
    // Progress was visible while it ran.
    expect(seen.some((p) => p.sent > 0 && p.sent < 20_000)).toBe(true);

    const sends = t.h.sim.requests('smsbat').filter((r) => r.method === 'POST');
    const sizes = sends.map((r) => JSON.parse(r.rawBody).length as number);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(1000);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(20_000);
    expect(new Set(t.h.sim.messages('smsbat').map((m) => m.trackingKey)).size).toBe(20_000);

    // Per-message states live in the chunks; every history stays far below 10 000 events.
    const chunk = t.env.client.workflow.getHandle(`bulk:${bulkId}:chunk:0`);
    const states = await chunk.query(bulkMessagesQuery);
    // Batches go out several at a time and may finish out of order: the states stay in file order.
    expect(states.map((s) => s.id)).toEqual(Array.from({ length: 5000 }, (_, k) => `m-${k}`));
    expect(states[0]).toMatchObject({ id: 'm-0', state: 'delivered', providerMessageId: expect.any(String) });
    for (const id of [`bulk:${bulkId}`, ...[0, 5000, 10000, 15000].map((c) => `bulk:${bulkId}:chunk:${c}`)]) {
      const { events } = await t.env.client.workflow.getHandle(id).fetchHistory();
      expect(events!.length).toBeLessThan(10_000);
    }
  }, 180_000);

  test('inline messages through Reach: pause holds the campaign, resume finishes it', async () => {
    const bulkId = uniqueId('inline');
    const messages = Array.from({ length: 30 }, (_, i) => ({
      id: `r-${i}`,
      phone: `+23767${1000001 + i * 10}`,
      text: `Hi ${i}`,
    }));
    const handle = await t.env.client.workflow.start(bulkSend, {
      taskQueue: t.h.taskQueue,
      workflowId: `bulk:${bulkId}`,
      args: [{ bulkId, step: { channel: 'reach', src: 'Shop' }, messages, batchSize: 10, ratePerSecond: 20 }],
    });
    await handle.signal('pause');
    await new Promise((r) => setTimeout(r, 1500));
    const paused = await handle.query(progressQuery);
    expect(paused.paused).toBe(true);
    const sentWhilePaused = t.h.sim.messages('reach').filter((m) => m.trackingKey === bulkId).length;
    await new Promise((r) => setTimeout(r, 1000));
    expect(t.h.sim.messages('reach').filter((m) => m.trackingKey === bulkId).length).toBe(sentWhilePaused);
    expect(sentWhilePaused).toBeLessThan(30);

    await handle.signal('resume');
    const final = await handle.result();
    expect(final).toMatchObject({ total: 30, sent: 30, delivered: 30, failed: 0 });
    expect(t.h.sim.messages('reach').filter((m) => m.trackingKey === bulkId)).toHaveLength(30);
  }, 60_000);
});
