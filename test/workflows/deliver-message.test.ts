import { type WorkflowHandle } from '@temporalio/client';
import { type TestWorkflowEnvironment } from '@temporalio/testing';
import { createTimeSkippingEnvironment } from '../../src/testing/environment';
import { cancelSignal, receiptSignal, statusQuery } from '../../src/shared/messages';
import { type DeliverMessageInput } from '../../src/shared/schemas';
import { deliverMessage } from '../../src/workflows';
import { startHarness, uniqueId, uniquePhone, type Harness } from '../support/cascade';
import { activitiesRun } from '../support/history';
import { waitFor } from '../support/wait';

const DAY = 24 * 3600 * 1000;

describe('deliverMessage (time-skipping server, simulator over real sockets)', () => {
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
  beforeEach(() => h.sim.reset());

  function input(overrides: Partial<DeliverMessageInput> = {}): DeliverMessageInput {
    return {
      trackingId: uniqueId('msg'),
      recipient: { phone: uniquePhone(), email: 'user@example.com' },
      text: 'Your order #12345 has been confirmed',
      steps: [
        { channel: 'smsbat', fromName: 'Shop', deliveryTimeout: '2m' },
        { channel: 'reach', src: 'Shop', deliveryTimeout: '2m' },
        { channel: 'email', subject: 'Your order' },
      ],
      ...overrides,
    };
  }

  function start(i: DeliverMessageInput) {
    return env.client.workflow.start(deliverMessage, {
      args: [i],
      workflowId: `deliver:${i.trackingId}`,
      taskQueue: h.taskQueue,
    });
  }

  const sentTo = (provider: 'smsbat' | 'reach' | 'email', recipient: string) =>
    h.sim.messages(provider).filter((m) => m.recipient === recipient);
  /** The provider accepts the message to this recipient but never settles it, and sends no receipt. */
  const neverSettles = (provider: 'smsbat' | 'reach', recipient: string) =>
    h.sim.script({ recipient, provider, outcome: { kind: 'pending' }, receipt: 'withhold' });
  const sendRequests = (provider: 'smsbat' | 'reach') =>
    h.sim.requests(provider).filter((r) => r.method === 'POST' && /send_message|create/.test(r.path));

  test('delivered on the first step: one SMSBAT message, nothing else sent', async () => {
    const i = input();
    const result = await (await start(i)).result();

    expect(result.status).toBe('delivered');
    expect(result.deliveredBy).toMatchObject({ step: 0, channel: 'smsbat' });
    expect(result.attempts).toHaveLength(1);
    expect(result.attempts[0]).toMatchObject({ provider: 'smsbat', status: 'delivered', rawStatus: 'delivered' });
    expect(result.attempts[0].cost).toBeGreaterThan(0);
    const [sent] = sentTo('smsbat', i.recipient.phone!);
    expect(sent.text).toBe(i.text);
    expect(sent.messageId).toBe(result.attempts[0].providerMessageId);
    expect(sentTo('reach', i.recipient.phone!)).toHaveLength(0);
    expect(h.sim.messages('email')).toHaveLength(0);
  });

  test('undeliverable on SMSBAT falls back to Reach, which delivers', async () => {
    const i = input();
    h.sim.script({
      recipient: i.recipient.phone,
      provider: 'smsbat',
      outcome: { kind: 'fail', status: 'undeliverable' },
    });
    const result = await (await start(i)).result();

    expect(result.status).toBe('delivered');
    expect(result.deliveredBy).toMatchObject({ step: 1, channel: 'reach' });
    expect(result.attempts.map((a) => [a.channel, a.status, a.rawStatus])).toEqual([
      ['smsbat', 'failed', 'undeliverable'],
      ['reach', 'delivered', 'delivered'],
    ]);
    expect(sentTo('reach', i.recipient.phone!)[0].text).toBe(i.text);
    expect(h.sim.messages('email')).toHaveLength(0);
  });

  test('no receipt within the step timeout falls back to email', async () => {
    const i = input({
      steps: [
        { channel: 'smsbat', fromName: 'Shop', deliveryTimeout: '90s' },
        { channel: 'email', subject: 'Your order' },
      ],
    });
    neverSettles('smsbat', i.recipient.phone!);
    const handle = await start(i);
    const result = await handle.result();

    expect(result.status).toBe('delivered');
    expect(result.attempts.map((a) => [a.channel, a.status])).toEqual([
      ['smsbat', 'timed_out'],
      ['email', 'delivered'],
    ]);
    const mail = h.sim.messages('email').filter((m) => m.recipient === 'user@example.com');
    expect(mail).toHaveLength(1);
    expect(mail[0].text).toContain(i.text);
    expect(mail[0].fields.subject).toBe('Your order');
    // The safety-net polls backed off and stayed within the step's 90 s.
    const polls = h.sim.requests('smsbat').filter((r) => r.method === 'GET');
    expect(polls.length).toBeGreaterThanOrEqual(3);
    expect(polls.length).toBeLessThanOrEqual(6);
  });

  test("a step's pollAfter holds the first status poll back (workflow time)", async () => {
    const i = input({ steps: [{ channel: 'smsbat', fromName: 'Shop', deliveryTimeout: '5m', pollAfter: '3m' }] });
    neverSettles('smsbat', i.recipient.phone!);
    const handle = await start(i);
    expect((await handle.result()).status).toBe('failed');

    const { names, firstPollGap } = await activities(handle);
    expect(names[0]).toBe('cascade.sendStep');
    // Polled at 3 min, then every minute up to the 5-minute deadline: 3 polls, none before 3 min.
    expect(names.slice(1)).toEqual(['cascade.checkDelivery', 'cascade.checkDelivery', 'cascade.checkDelivery']);
    expect(firstPollGap).toBeGreaterThanOrEqual(3 * 60_000);
    expect(firstPollGap).toBeLessThan(3 * 60_000 + 30_000);
  });

  test('a receipt the provider pushes to our receiver is first polled for after a minute, not 5 s', async () => {
    // Reach names a callback URL per message once a public webhook URL is configured.
    const pushed = await startHarness(env, { env: { CASCADE_PUBLIC_WEBHOOK_URL: 'http://127.0.0.1:9' } });
    try {
      const i = input({ steps: [{ channel: 'reach', src: 'Shop', deliveryTimeout: '3m' }] });
      pushed.sim.script({
        recipient: i.recipient.phone,
        provider: 'reach',
        outcome: { kind: 'pending' },
        receipt: 'withhold',
      });
      const handle = await env.client.workflow.start(deliverMessage, {
        args: [i],
        workflowId: `deliver:${i.trackingId}`,
        taskQueue: pushed.taskQueue,
      });
      expect((await handle.result()).status).toBe('failed');

      const { firstPollGap } = await activities(handle);
      expect(firstPollGap).toBeGreaterThanOrEqual(60_000);
      expect(firstPollGap).toBeLessThan(60_000 + 30_000);
    } finally {
      await pushed.close();
    }
  });

  test('a 429 is retried after Retry-After, then the send succeeds', async () => {
    const i = input();
    h.sim.script({
      recipient: i.recipient.phone,
      provider: 'smsbat',
      outcome: { kind: 'reject', status: 429, code: 'TOO_MANY_REQUESTS', retryAfterSec: 2 },
      times: 1,
    });
    const result = await (await start(i)).result();

    expect(result.status).toBe('delivered');
    expect(result.deliveredBy?.channel).toBe('smsbat');
    expect(sendRequests('smsbat')).toHaveLength(2);
    expect(sentTo('smsbat', i.recipient.phone!)).toHaveLength(1);
  });

  test('a 400 is not retried: the step fails once and the chain moves on', async () => {
    const i = input();
    h.sim.script({
      recipient: i.recipient.phone,
      provider: 'smsbat',
      outcome: {
        kind: 'reject',
        status: 400,
        code: 'INVALID_PHONE',
        field: 'toPhone',
        message: 'Invalid phone number format',
      },
    });
    const result = await (await start(i)).result();

    expect(sendRequests('smsbat')).toHaveLength(1);
    expect(result.attempts[0]).toMatchObject({
      channel: 'smsbat',
      status: 'failed',
      error: { type: 'ProviderRequestError', nonRetryable: true },
    });
    expect(result.status).toBe('delivered');
    expect(result.deliveredBy?.channel).toBe('reach');
  });

  test('5xx: a step gives up after 6 attempts and falls back; the last step keeps retrying', async () => {
    const i = input({ steps: input().steps.slice(0, 2) });
    const unavailable = { kind: 'reject', status: 503 } as const;
    h.sim.script({ recipient: i.recipient.phone, provider: 'smsbat', outcome: unavailable, times: 6 });
    h.sim.script({ recipient: i.recipient.phone, provider: 'reach', outcome: unavailable, times: 7 });
    const result = await (await start(i)).result();

    expect(sendRequests('smsbat')).toHaveLength(6);
    expect(result.attempts[0]).toMatchObject({ channel: 'smsbat', status: 'failed' });
    expect(sendRequests('reach')).toHaveLength(8);
    expect(result.status).toBe('delivered');
    expect(result.deliveredBy?.channel).toBe('reach');
  });

  test('the TTL expires mid-chain: no further step starts', async () => {
    const i = input({
      ttl: '3m',
      steps: [
        { channel: 'smsbat', fromName: 'Shop', deliveryTimeout: '10m' },
        { channel: 'reach', src: 'Shop' },
      ],
    });
    neverSettles('smsbat', i.recipient.phone!);
    const result = await (await start(i)).result();

    expect(result.status).toBe('expired');
    expect(result.attempts).toHaveLength(1);
    expect(sentTo('reach', i.recipient.phone!)).toHaveLength(0);
    // The remaining TTL went to SMSBAT as the message's own ttl (seconds).
    expect(sentTo('smsbat', i.recipient.phone!)[0].fields.ttl).toBe(180);
  });

  test('sendAt 30 days ahead is reached on a durable timer', async () => {
    // The test server's clock has moved ahead with the earlier tests' skipped timers.
    const sendAt = new Date((await env.currentTimeMs()) + 30 * DAY).toISOString();
    const i = input({ sendAt });
    const handle = await start(i);
    const result = await handle.result();
    expect(result.status).toBe('delivered');
    expect(sentTo('smsbat', i.recipient.phone!)).toHaveLength(1);

    // In server time, the send was scheduled only after the 30-day timer fired.
    const { events } = await handle.fetchHistory();
    const startedAt = eventTime(events!.find((e) => e.workflowExecutionStartedEventAttributes)!);
    const timerFired = events!.find((e) => e.timerFiredEventAttributes)!;
    const firstSend = events!.find((e) => e.activityTaskScheduledEventAttributes)!;
    expect(Number(firstSend.eventId)).toBeGreaterThan(Number(timerFired.eventId));
    expect(eventTime(firstSend) - startedAt).toBeGreaterThanOrEqual(30 * DAY - 60_000);
  });

  test('cancel during a receipt wait stops the chain', async () => {
    const i = input();
    neverSettles('smsbat', i.recipient.phone!);
    const handle = await start(i);
    await waitFor(async () => (await handle.query(statusQuery)).phase === 'waiting_for_receipt');
    await handle.signal(cancelSignal, { reason: 'user left' });
    const result = await handle.result();

    expect(result.status).toBe('canceled');
    expect(result.attempts).toHaveLength(1);
    expect(sentTo('reach', i.recipient.phone!)).toHaveLength(0);
    expect(h.sim.messages('email')).toHaveLength(0);
  });

  test('a late receipt for an earlier step is recorded: both deliveries and both costs', async () => {
    const i = input({
      steps: [
        { channel: 'smsbat', fromName: 'Shop', deliveryTimeout: '1m' },
        { channel: 'reach', src: 'Shop', deliveryTimeout: '5m' },
      ],
    });
    neverSettles('smsbat', i.recipient.phone!);
    neverSettles('reach', i.recipient.phone!);
    const handle = await start(i);
    // Let the workflow time out step 1 and send step 2 (time skips while we await the result).
    const reachSent = waitFor(async () => (await handle.query(statusQuery)).attempts[1]?.status === 'pending');
    const resultPromise = handle.result();
    await reachSent;
    const progress = await handle.query(statusQuery);
    const smsbatId = progress.attempts[0].providerMessageId!;
    const reachId = progress.attempts[1].providerMessageId!;

    // SMSBAT's receipt arrives late, as the webhook receiver would signal it.
    await handle.signal(receiptSignal, {
      provider: 'smsbat',
      providerMessageId: smsbatId,
      state: 'delivered',
      rawStatus: 'delivered',
      cost: 0.05,
      currency: 'USD',
      occurredAt: new Date().toISOString(),
    });
    h.sim.settle('reach', reachId, 'delivered');
    const result = await resultPromise;

    expect(result.status).toBe('delivered');
    expect(result.deliveredBy).toMatchObject({ step: 0, channel: 'smsbat' });
    expect(result.attempts.map((a) => [a.channel, a.status])).toEqual([
      ['smsbat', 'delivered'],
      ['reach', 'delivered'],
    ]);
    expect(result.attempts[0].cost).toBe(0.05);
    expect(result.attempts[1].cost).toBeGreaterThan(0);
  });

  test('a 7-day Viber survey: its TTL reaches SMSBAT and ends the flow after 7 days', async () => {
    const i = input({
      text: 'How satisfied are you with our service?',
      ttl: '7d',
      steps: [
        {
          channel: 'smsbat',
          fromName: 'Shop',
          messageType: 'viber_survey',
          surveyOptions: ['Very Satisfied', 'Satisfied', 'Neutral'],
          deliveryTimeout: '8d',
        },
      ],
    });
    neverSettles('smsbat', i.recipient.phone!);
    const handle = await start(i);
    const result = await handle.result();

    expect(result.status).toBe('expired');
    const [sent] = sentTo('smsbat', i.recipient.phone!);
    expect(sent.fields).toMatchObject({
      messageType: 'viber_survey',
      ttl: 604800,
      surveyOptions: ['Very Satisfied', 'Satisfied', 'Neutral'],
    });
    const described = await handle.describe();
    expect(described.closeTime!.getTime() - described.startTime.getTime()).toBeGreaterThanOrEqual(7 * DAY);
  });
});

/** A flow's activities in order, and the workflow time from its send to its first status poll. */
async function activities(handle: WorkflowHandle) {
  const run = activitiesRun((await handle.fetchHistory()).events as Parameters<typeof activitiesRun>[0]);
  const names = run.map((a) => a.name).filter((n) => n !== 'cascade.checkInput');
  const first = run.find((a) => a.name === 'cascade.sendStep')!;
  const firstPoll = run.find((a) => a.name === 'cascade.checkDelivery');
  return { names, firstPollGap: (firstPoll?.at ?? first.at) - first.at };
}

function eventTime(e: { eventTime?: { seconds?: unknown; nanos?: number | null } | null }): number {
  return Number(e.eventTime!.seconds) * 1000 + Math.floor((e.eventTime!.nanos ?? 0) / 1e6);
}
