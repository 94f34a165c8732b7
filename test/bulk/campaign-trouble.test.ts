import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { CascadeClient } from '../../src/client/cascade-client';
import { bulkMessagesQuery, cancelSignal, ErrorTypes, pauseSignal, progressQuery } from '../../src/shared/messages';
import { type BulkProgress } from '../../src/shared/types';
import { bulkChunk, bulkSend } from '../../src/workflows';
import { uniqueId, useLocalHarness } from '../support/cascade';
import { waitFor } from '../support/wait';

/**
 * Campaigns against a provider in trouble (dev server, simulator, statuses polled). What counts is
 * what the simulator received: each message at most once.
 */
describe('bulkSend when the provider is in trouble', () => {
  const t = useLocalHarness({ env: { CASCADE_BULK_DIRS: tmpdir() } });
  afterEach(() => t.h.sim.setFaults('all', {}));

  /** Unique numbers per test (one digit each), none with a special simulator ending. */
  const phones = (digit: number, n: number, from = 0) =>
    Array.from({ length: n }, (_, i) => `+38066${digit}${String(from + i).padStart(3, '0')}101`);
  const campaign = (prefix: string, list: string[]) =>
    list.map((phone, i) => ({ id: `${prefix}-${i}`, phone, text: `Sale ${i}` }));
  /** What SMSBAT took, by our tracking id: how many times each. */
  const smsbatCopies = (prefix: string) => {
    const copies = new Map<string, number>();
    for (const m of t.h.sim.messages('smsbat')) {
      if (m.trackingKey?.startsWith(`${prefix}-`)) copies.set(m.trackingKey, (copies.get(m.trackingKey) ?? 0) + 1);
    }
    return copies;
  };
  const run = (args: Parameters<typeof bulkSend>[0]) =>
    t.env.client.workflow.execute(bulkSend, {
      taskQueue: t.h.taskQueue,
      workflowId: `bulk:${args.bulkId}`,
      args: [args],
    });

  // Item 1: a send whose answer was lost is not posted again.
  test('SMSBAT takes a batch, then a gateway answers 502 or the answer never comes: sent once, reported unknown', async () => {
    const bulkId = uniqueId('lost');
    t.h.sim.setFaults('smsbat', { acceptThen502Rate: 1 });
    const lost502 = campaign('l502', phones(1, 20));
    const first = await run({ bulkId, step: { channel: 'smsbat', fromName: 'Shop' }, messages: lost502 });
    expect(first).toMatchObject({ total: 20, unknown: 20, sent: 0, queued: 0 });
    const copies = smsbatCopies('l502');
    expect(copies.size).toBe(20);
    expect([...copies.values()].every((n) => n === 1)).toBe(true);

    // The deadline passes on a request SMSBAT took (a timeout after accepting).
    t.h.sim.setFaults('smsbat', { acceptThenHangRate: 1 });
    const hung = campaign('lhang', phones(2, 5));
    const second = await run({
      bulkId: uniqueId('hang'),
      step: { channel: 'smsbat', fromName: 'Shop' },
      messages: hung,
    });
    expect(second).toMatchObject({ total: 5, unknown: 5, queued: 0 });
    expect([...smsbatCopies('lhang').values()]).toEqual([1, 1, 1, 1, 1]);
  }, 120_000);

  test('resendUnknown: true sends a lost batch again (twice, by design) and it ends final; by default it ends unknown, sent once', async () => {
    // SMSBAT takes both campaigns' batches and never answers; the provider is healthy again by the
    // time the client's deadline passes (the fault is cleared once both batches were received).
    t.h.sim.setFaults('smsbat', { acceptThenHangRate: 1 });
    const step = { channel: 'smsbat', fromName: 'Shop' } as const;
    const start = (bulkId: string, prefix: string, digit: number, resendUnknown?: boolean) =>
      t.env.client.workflow.start(bulkSend, {
        taskQueue: t.h.taskQueue,
        workflowId: `bulk:${bulkId}`,
        args: [
          { bulkId, step, messages: campaign(prefix, phones(digit, 5)), ...(resendUnknown ? { resendUnknown } : {}) },
        ],
      });
    const byDefault = await start(uniqueId('unk-default'), 'ukd', 7);
    const optedIn = await start(uniqueId('unk-resend'), 'ukr', 8, true);
    while (smsbatCopies('ukd').size < 5 || smsbatCopies('ukr').size < 5) await new Promise((r) => setTimeout(r, 20));
    t.h.sim.setFaults('smsbat', {});

    const kept = await byDefault.result();
    expect(kept).toMatchObject({ total: 5, unknown: 5, sent: 0, queued: 0 });
    expect([...smsbatCopies('ukd').values()]).toEqual([1, 1, 1, 1, 1]);

    const resent = await optedIn.result();
    expect(resent).toMatchObject({ total: 5, sent: 5, delivered: 5, queued: 0 });
    expect(resent.unknown ?? 0).toBe(0);
    // At least once: the lost request's messages went out, and again.
    expect([...smsbatCopies('ukr').values()]).toEqual([2, 2, 2, 2, 2]);
  }, 120_000);

  test('tracking ends with one last look-up: a message delivered before the end is not left pending', async () => {
    // Tracking shorter than the first poll's wait: without a look-up at the end, every message would
    // stay pending although SMSBAT delivered each at once.
    const final = await run({
      bulkId: uniqueId('last-look'),
      step: { channel: 'smsbat', fromName: 'Shop' },
      messages: campaign('last', phones(9, 5)),
      trackFor: '1s',
    });
    expect(final).toMatchObject({ total: 5, sent: 5, delivered: 5, pending: 0 });
    expect(t.h.sim.requests('smsbat').filter((r) => r.method === 'GET').length).toBeGreaterThan(0);
  }, 120_000);

  test('Reach: creates whose answer is lost (502 after accepting) are looked up by bulkIdentifier, not created again', async () => {
    const bulkId = uniqueId('reach-lost');
    t.h.sim.setFaults('reach', { acceptThen502Rate: 0.5 });
    const messages = Array.from({ length: 10 }, (_, i) => ({
      id: `rl-${i}`,
      phone: `+23767${5000001 + i * 10}`,
      text: `Hi ${i}`,
    }));
    const final = await run({ bulkId, step: { channel: 'reach', src: 'Shop' }, messages });
    expect(final).toMatchObject({ total: 10, sent: 10, failed: 0, queued: 0 });
    expect(final.unknown ?? 0).toBe(0);
    const created = t.h.sim.messages('reach').filter((m) => m.trackingKey === bulkId);
    expect(created).toHaveLength(10);
    expect(new Set(created.map((m) => m.recipient)).size).toBe(10);
    // Some creates did lose their answer, and were looked up.
    expect(t.h.sim.requests('reach').filter((r) => r.path.endsWith('/list')).length).toBeGreaterThan(0);
  }, 120_000);

  // Item 2.
  test('1000 messages with 10 scattered refused recipients: the 990 valid sent once each, the 10 invalid', async () => {
    const prefix = 'iso10';
    const messages = campaign(prefix, phones(3, 1000));
    const bad = [37, 141, 250, 333, 480, 512, 640, 777, 901, 998];
    for (const i of bad) {
      t.h.sim.script({
        provider: 'smsbat',
        recipient: messages[i].phone,
        outcome: { kind: 'reject', status: 400, code: 'INVALID_PHONE', message: 'Invalid phone', field: 'toPhone' },
      });
    }
    const bulkId = uniqueId(prefix);
    const handle = await t.env.client.workflow.start(bulkSend, {
      taskQueue: t.h.taskQueue,
      workflowId: `bulk:${bulkId}`,
      args: [{ bulkId, step: { channel: 'smsbat', fromName: 'Shop' }, messages, ratePerSecond: 10_000 }],
    });
    // What counts here is what was sent: once every message is settled or with the provider, the
    // campaign is canceled rather than tracked (looking up 990 statuses at the pace the status
    // endpoint is asked would take a minute and a half).
    const allSent = async () => (await handle.query(progressQuery).catch(() => undefined))?.queued === 0;
    await waitFor(allSent, 120_000, 'every message settled or with the provider');
    await handle.signal(cancelSignal);
    const final = await handle.result();
    expect(final).toMatchObject({ total: 1000, sent: 990, invalid: 10, failed: 10, queued: 0 });
    const copies = smsbatCopies(prefix);
    expect(copies.size).toBe(990);
    expect([...copies.values()].every((n) => n === 1)).toBe(true);
    for (const i of bad) expect(copies.has(`${prefix}-${i}`)).toBe(false);
  }, 180_000);

  // Item 3.
  test('Reach answers 429 and 503 for some messages of a batch: they go again in a later pass, each created once', async () => {
    const bulkId = uniqueId('partial');
    const messages = Array.from({ length: 10 }, (_, i) => ({
      id: `pt-${i}`,
      phone: `+23767${6000001 + i * 10}`,
      text: `Hi ${i}`,
    }));
    for (const [i, status] of [
      [1, 429],
      [4, 503],
      [7, 429],
    ] as const) {
      t.h.sim.script({
        provider: 'reach',
        recipient: messages[i].phone,
        outcome: { kind: 'reject', status },
        times: 1,
      });
    }
    const final = await run({ bulkId, step: { channel: 'reach', src: 'Shop' }, messages });
    expect(final).toMatchObject({ total: 10, sent: 10, delivered: 10, failed: 0, queued: 0 });
    const created = t.h.sim.messages('reach').filter((m) => m.trackingKey === bulkId);
    expect(created.map((m) => m.recipient).sort()).toEqual(messages.map((m) => m.phone).sort());
  }, 120_000);

  // Item 4, second half: an ended campaign restarts from its progress, not from message 0.
  test('a campaign that was ended restarts from its recorded progress: every message sent once', async () => {
    const bulkId = uniqueId('restart');
    const prefix = 'rs';
    const messages = campaign(prefix, phones(4, 30));
    const handle = await t.env.client.workflow.start(bulkSend, {
      taskQueue: t.h.taskQueue,
      workflowId: `bulk:${bulkId}`,
      // Slow enough (10 s in all) that a busy machine still stops it part way.
      args: [{ bulkId, step: { channel: 'smsbat', fromName: 'Shop' }, messages, batchSize: 5, ratePerSecond: 3 }],
    });
    // Stop it part way (an operator's terminate, a campaign failed under an older version …).
    for (;;) {
      const p = await handle.query(progressQuery).catch(() => undefined);
      if (p && p.sent >= 10) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    await handle.terminate('stopped part way');
    const before = smsbatCopies(prefix).size;
    expect(before).toBeGreaterThanOrEqual(10);
    expect(before).toBeLessThan(30);

    const cascade = new CascadeClient({ client: t.env.client, taskQueue: t.h.taskQueue, limits: false });
    const resumed = await cascade.resumeBulk(bulkId);
    expect(resumed).toMatchObject({ resumed: 'restarted', from: 0 });
    const final = (await t.env.client.workflow.getHandle(`bulk:${bulkId}`).result()) as BulkProgress;
    expect(final.total).toBe(30);
    expect(final.queued).toBe(0);
    const copies = smsbatCopies(prefix);
    expect(copies.size).toBe(30);
    expect([...copies.values()].every((n) => n === 1)).toBe(true);
  }, 120_000);

  test('a chunk waiting for its last receipts does not hold up the next chunk; cancel reaches both', async () => {
    const bulkId = uniqueId('overlap');
    const dir = mkdtempSync(join(tmpdir(), 'overlap-'));
    const file = join(dir, 'campaign.csv');
    // Two chunks (5 000 + 1); one message of the first never gets a final status.
    const rows = Array.from(
      { length: 5001 },
      (_, i) => `ov-${i},+38067${String(3_000_001 + i * 10).slice(-7)},Sale ${i}`,
    );
    writeFileSync(file, `id,phone,text\n${rows.join('\n')}\n`);
    t.h.sim.script({ provider: 'smsbat', recipient: '+380673000001', outcome: { kind: 'pending' } });
    const handle = await t.env.client.workflow.start(bulkSend, {
      taskQueue: t.h.taskQueue,
      workflowId: `bulk:${bulkId}`,
      args: [
        {
          bulkId,
          step: { channel: 'smsbat', fromName: 'Shop' },
          file: { path: file },
          ratePerSecond: 10_000,
          trackFor: '10m',
        },
      ],
    });
    const first = t.env.client.workflow.getHandle(`bulk:${bulkId}:chunk:0`);
    try {
      // The second chunk's message goes out while the first still tracks (10 minutes at most).
      while (!smsbatCopies('ov').has('ov-5000')) {
        const { status } = await first.describe().catch(() => ({ status: { name: 'NOT_STARTED' } }));
        expect(['NOT_STARTED', 'RUNNING']).toContain(status.name);
        await new Promise((r) => setTimeout(r, 200));
      }
      // The provider can hold the message before the chunk's report reaches the campaign: wait for the report.
      await waitFor(async () => (await handle.query(progressQuery)).queued === 0, 120_000, "the second chunk's report");
      const p = await handle.query(progressQuery);
      expect((await first.describe()).status.name).toBe('RUNNING');
      expect(p).toMatchObject({ total: 5001, queued: 0 });
      expect(p.sent).toBe(5001);
      expect(p.pending).toBeGreaterThanOrEqual(1);

      await handle.signal(cancelSignal);
      const final = await handle.result();
      expect(final).toMatchObject({ total: 5001, sent: 5001, canceled: true });
      expect((await first.describe()).status.name).not.toBe('RUNNING');
      expect(smsbatCopies('ov').size).toBe(5001);
    } finally {
      // A failed expectation must not leave the campaign tracking for 10 minutes under jest's teardown.
      await handle.terminate('test over').catch(() => undefined);
      await first.terminate('test over').catch(() => undefined);
    }
  }, 300_000);

  // Item 6: whichever order they arrive in, a pause or cancel reaches the chunk.
  test('cancel and pause racing the start of a chunk are never lost', async () => {
    const runs = Array.from({ length: 6 }, async (_, k) => {
      const bulkId = uniqueId('race');
      const messages = campaign(`race${k}`, phones(5, 40, k * 40));
      const handle = await t.env.client.workflow.start(bulkSend, {
        taskQueue: t.h.taskQueue,
        workflowId: `bulk:${bulkId}`,
        args: [{ bulkId, step: { channel: 'smsbat', fromName: 'Shop' }, messages, batchSize: 5, ratePerSecond: 10 }],
      });
      // Signals right after the start, with a little jitter, so some land while the chunk is being started.
      await new Promise((r) => setTimeout(r, k * 15));
      if (k % 2 === 0) {
        await handle.signal(cancelSignal);
        return { k, result: await handle.result() };
      }
      await handle.signal(pauseSignal);
      // The pause held: nothing more goes out once the chunk has it.
      let last = -1;
      for (;;) {
        const p = await handle.query(progressQuery);
        const chunk = await t.env.client.workflow
          .getHandle(`bulk:${bulkId}:chunk:0`)
          .query(progressQuery)
          .catch(() => undefined);
        // Paused at the chunk, or before any chunk started (the campaign then starts none).
        if (chunk?.paused || (p.paused && chunk === undefined)) {
          last = smsbatCopies(`race${k}`).size;
          expect(p.paused).toBe(true);
          break;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      await new Promise((r) => setTimeout(r, 1500));
      expect(smsbatCopies(`race${k}`).size).toBeLessThanOrEqual(last + 5 * 4); // batches already in flight
      await handle.signal(cancelSignal);
      return { k, result: await handle.result() };
    });
    for (const { k, result } of await Promise.all(runs)) {
      expect(result.canceled).toBe(true);
      expect(smsbatCopies(`race${k}`).size).toBeLessThan(40);
    }
  }, 120_000);

  test('a chunk started on its own, not by a campaign, fails at once naming startBulk, and sends nothing', async () => {
    const bulkId = uniqueId('direct');
    const messages = campaign('direct', phones(9, 5));
    // Named like a campaign's chunk, which is not enough: it has no campaign as its parent.
    const handle = await t.env.client.workflow.start(bulkChunk, {
      taskQueue: t.h.taskQueue,
      workflowId: `bulk:${bulkId}:chunk:0`,
      args: [
        {
          bulkId,
          step: { channel: 'smsbat', route: 'standard', fromName: 'Shop', messageType: 'transaction' },
          source: { kind: 'inline', messages },
          offset: 0,
          count: messages.length,
          batchSize: 5,
          ratePerSecond: 100,
          trackFor: '1m',
          v2: true,
        },
      ],
    });
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect(cause).toMatchObject({ type: ErrorTypes.chunkOutsideCampaign, nonRetryable: true });
    expect(cause!.message).toMatch(/startBulk/);
    expect(smsbatCopies('direct').size).toBe(0);
    expect(t.h.sim.requests('smsbat').filter((r) => r.rawBody.includes('direct-'))).toEqual([]);
  });

  // Item 7: the file is pinned by content.
  test('a campaign file changed while the campaign runs stops it with a clear error, not shifted rows', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulk-pin-'));
    const file = join(dir, 'campaign.csv');
    const rows = (tag: string) =>
      phones(6, 40)
        .map((p, i) => `${tag}-${i},${p},Sale ${i}`)
        .join('\n');
    writeFileSync(file, `id,phone,text\n${rows('pin')}\n`);
    const bulkId = uniqueId('pin');
    const handle = await t.env.client.workflow.start(bulkSend, {
      taskQueue: t.h.taskQueue,
      workflowId: `bulk:${bulkId}`,
      args: [
        { bulkId, step: { channel: 'smsbat', fromName: 'Shop' }, file: { path: file }, batchSize: 5, ratePerSecond: 5 },
      ],
    });
    while (smsbatCopies('pin').size === 0) await new Promise((r) => setTimeout(r, 100));
    writeFileSync(file, `id,phone,text\n${rows('new')}\n`);
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const chain: string[] = [];
    for (let e: unknown = err; e instanceof Error; e = e.cause) chain.push(e.message);
    expect(chain.join(' / ')).toMatch(/changed since the campaign started/);
    expect(smsbatCopies('new').size).toBe(0);
    const states = await t.env.client.workflow
      .getHandle(`bulk:${bulkId}:chunk:0`)
      .query(bulkMessagesQuery)
      .catch(() => []);
    expect(states.every((s) => s.id.startsWith('pin-') || s.id === '')).toBe(true);
  }, 120_000);
});
