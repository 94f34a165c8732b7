import { randomUUID } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { type TestWorkflowEnvironment } from '@temporalio/testing';
import { CascadeClient, CascadeLimitError, ErrorTypes, type LimitPolicy } from '../../src/client';
import { normalizeEmail, normalizePhone } from '../../src/otp/recipients';
import { type OtpInput } from '../../src/shared/schemas';
import { createLocalEnvironment } from '../../src/testing/environment';
import { startHarness, TEST_OTP_SECRET, uniqueId, type Harness } from '../support/cascade';

const POLICY: LimitPolicy = {
  perRecipientHour: 3,
  perRecipientDay: 10,
  perPrefixHour: 1000,
  perCountryHour: 1000,
  // Conversion judged only where a test asks for it (its own client): tests share prefixes.
  conversion: { minFlows: 1000, window: 2000, minRate: 0.3, settleAfterMs: 0 },
  guardTimeoutMs: 5000,
};

describe('recipient keys: one person, however they write their address', () => {
  test('phones: E.164 with the national trunk prefix removed; prefixes by numbering plan', () => {
    expect(normalizePhone('+3800631230001').e164).toBe('+380631230001');
    expect(normalizePhone('+380 63 123 0001')).toEqual({ e164: '+380631230001', prefix: '+38063', country: '+380' });
    expect(normalizePhone('+12133734253').prefix).toBe('+1213');
    expect(normalizePhone('+79123456789').prefix).toBe('+7912');
    expect(normalizePhone('+447400123456').prefix).toBe('+447400');
  });

  test('emails: case everywhere; plus tags where the service ignores them; Gmail dots', () => {
    expect(normalizeEmail('Victim@EXAMPLE.com')).toBe('victim@example.com');
    expect(normalizeEmail('victim+1@example.com')).toBe('victim+1@example.com'); // an unknown domain may mean it
    expect(normalizeEmail('Victim+promo@Gmail.com')).toBe('victim@gmail.com');
    expect(normalizeEmail('j.doe+x@googlemail.com')).toBe('jdoe@gmail.com');
    expect(normalizeEmail('ann+tag@outlook.com')).toBe('ann@outlook.com');
  });
});

describe('abuse limits (dev server)', () => {
  let env: TestWorkflowEnvironment;
  let h: Harness;
  let cascade: CascadeClient;
  beforeAll(async () => {
    env = await createLocalEnvironment();
    // The worker applies the same limits inside otpVerification, for flows started any other way.
    h = await startHarness(env, { limits: POLICY });
    cascade = new CascadeClient({
      client: env.client,
      taskQueue: h.taskQueue,
      otpSecret: TEST_OTP_SECRET,
      limits: POLICY,
    });
  });
  afterAll(async () => {
    await h?.close();
    await env?.teardown();
  });

  const otp = (recipient: OtpInput['recipient'], trackingId = uniqueId('limit')): OtpInput => ({
    trackingId,
    recipient,
    steps: recipient.phone ? [{ channel: 'smsbat', fromName: 'MyApp' }] : [{ channel: 'email' }],
    template: 'Code {code}',
  });
  const sentTo = (to: string) => h.sim.messages().filter((m) => m.recipient === to).length;
  async function sentCount(to: string, n: number) {
    for (let i = 0; i < 200 && sentTo(to) < n; i++) await new Promise((r) => setTimeout(r, 25));
    return sentTo(to);
  }
  async function verifyLatest(id: string, phone: string) {
    await sentCount(phone, 1);
    const text = h.sim
      .messages('smsbat')
      .filter((m) => m.recipient === phone)
      .at(-1)!.text!;
    return cascade.verifyOtp(id, /(\d{6})/.exec(text)![1]);
  }
  const refusal = (input: OtpInput, via = cascade) =>
    via.startOtp(input).then(
      () => undefined,
      (e: unknown) => e,
    );

  test('the (N+1)-th code to one recipient within the hour is refused, with no provider call', async () => {
    const phone = '+380991234101';
    const first = otp({ phone });
    for (let i = 0; i < 3; i++) await cascade.startOtp(i === 0 ? first : otp({ phone }));
    await cascade.startOtp(first); // a repeated start of the same flow does not count again
    expect(await sentCount(phone, 3)).toBe(3);

    const refused = await refusal(otp({ phone }));
    expect(refused).toBeInstanceOf(CascadeLimitError);
    expect(refused).toMatchObject({ scope: 'recipient', reason: expect.stringMatching(/in an hour/) });
    expect((refused as CascadeLimitError).retryAfterMs).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 300));
    expect(sentTo(phone)).toBe(3);
  });

  test('writing the address another way is the same recipient: case, plus tags, the trunk 0', async () => {
    for (let i = 0; i < 3; i++) await cascade.startOtp(otp({ email: 'victim@gmail.com' }));
    for (const variant of [
      'Victim@gmail.com',
      'victim@GMAIL.com',
      'victim+1@gmail.com',
      'v.i.c.t.i.m@googlemail.com',
    ]) {
      expect(await refusal(otp({ email: variant }))).toMatchObject({ scope: 'recipient' });
    }
    for (let i = 0; i < 3; i++) await cascade.startOtp(otp({ phone: '+380991234202' }));
    expect(await refusal(otp({ phone: '+3800991234202' }))).toMatchObject({ scope: 'recipient' });
  });

  test('a phone and an email are counted each on its own: another phone does not buy the mailbox more codes', async () => {
    const mailbox = `shared-${randomUUID().slice(0, 8)}@example.com`;
    const withPhone = (n: number): OtpInput => ({
      trackingId: uniqueId('both'),
      recipient: { phone: `+38099123${String(3000 + n)}`, email: mailbox },
      steps: [{ channel: 'email' }],
      template: 'Code {code}',
    });
    for (let i = 0; i < 3; i++) await cascade.startOtp(withPhone(i));
    expect(await refusal(withPhone(9))).toMatchObject({ scope: 'recipient' });
    expect(await sentCount(mailbox, 3)).toBe(3);
  });

  test('SMS pumping: a prefix whose codes never convert is blocked, another keeps working, an operator unblocks', async () => {
    const cascade = new CascadeClient({
      client: env.client,
      taskQueue: h.taskQueue,
      otpSecret: TEST_OTP_SECRET,
      limits: { ...POLICY, conversion: { minFlows: 5, window: 20, minRate: 0.3, settleAfterMs: 0 } },
    });
    const pumped = (i: number) => `+38063100${String(1000 + i)}`;
    for (let i = 0; i < 5; i++) await cascade.startOtp(otp({ phone: pumped(i) }));

    const blocked = await refusal(otp({ phone: pumped(5) }), cascade);
    expect(blocked).toBeInstanceOf(CascadeLimitError);
    expect(blocked).toMatchObject({
      scope: 'prefix',
      reason: expect.stringMatching(/0% of the last 5 codes.*SMS pumping/),
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(sentTo(pumped(5))).toBe(0);
    expect(await cascade.guard!.state('+38063')).toMatchObject({ blocked: true, recentFlows: 5, recentVerified: 0 });

    // Another prefix converts normally and stays open.
    const healthy = '+380671000001';
    const flow = await cascade.startOtp(otp({ phone: healthy }));
    expect((await verifyLatest(flow.id, healthy)).status).toBe('approved');
    for (let i = 0; i < 200 && (await cascade.guard!.state('+38067')).recentVerified < 1; i++) {
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(await cascade.guard!.state('+38067')).toMatchObject({ blocked: false, recentVerified: 1 });

    // The operator looks, decides it was a campaign, and unblocks.
    await cascade.guard!.unblockPrefix('+38063', 'ops@example.com', 'spring campaign');
    expect(await cascade.guard!.state('+38063')).toMatchObject({
      blocked: false,
      reason: expect.stringMatching(/unblocked by ops@example.com/),
    });
    await expect(cascade.startOtp(otp({ phone: pumped(6) }))).resolves.toMatchObject({ started: true });
    expect(await sentCount(pumped(6), 1)).toBe(1);
  });

  test('a burst of unverified codes blocks a prefix before any conversion data exists', async () => {
    const bursty = new CascadeClient({
      client: env.client,
      taskQueue: h.taskQueue,
      otpSecret: TEST_OTP_SECRET,
      limits: {
        ...POLICY,
        conversion: { ...POLICY.conversion, minFlows: 1000 },
        burst: { maxUnverified: 4, windowMs: 600_000, graceMs: 0 },
      },
    });
    const phone = (i: number) => `+38093200${String(1000 + i)}`;
    for (let i = 0; i < 4; i++) await bursty.startOtp(otp({ phone: phone(i) }));
    expect(await refusal(otp({ phone: phone(4) }), bursty)).toMatchObject({
      scope: 'prefix',
      reason: expect.stringMatching(/4 codes in 10 min were not verified/),
    });
  });

  test('a country has a ceiling over all its prefixes', async () => {
    const capped = new CascadeClient({
      client: env.client,
      taskQueue: h.taskQueue,
      otpSecret: TEST_OTP_SECRET,
      limits: { ...POLICY, perCountryHour: 2 },
    });
    // Poland: its own country guard, two different mobile prefixes.
    await capped.startOtp(otp({ phone: '+48501000001' }));
    await capped.startOtp(otp({ phone: '+48601000002' }));
    expect(await refusal(otp({ phone: '+48691000003' }), capped)).toMatchObject({
      scope: 'country',
      reason: expect.stringMatching(/more than 2 codes to this country/),
    });
  });

  test('no guard answering within the deadline is a refusal (guard_unavailable), not a wait', async () => {
    const nobody = new CascadeClient({
      client: env.client,
      taskQueue: `no-worker-${randomUUID()}`,
      otpSecret: TEST_OTP_SECRET,
      limits: { ...POLICY, guardTimeoutMs: 1000 },
    });
    const started = Date.now();
    const refused = await refusal(otp({ phone: '+380991234404' }), nobody);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(refused).toBeInstanceOf(CascadeLimitError);
    expect(refused).toMatchObject({ reason: 'guard_unavailable' });
  });

  test('a client with limits on but no secret refuses to construct (limits are never silently off)', () => {
    expect(() => new CascadeClient({ client: env.client })).toThrow(/otpSecret/);
    expect(() => new CascadeClient({ client: env.client, limits: false })).not.toThrow();
  });

  test('a child otpVerification started by a user workflow is refused exactly as startOtp is', async () => {
    const phone = '+380991234505';
    for (let i = 0; i < 3; i++) await cascade.startOtp(otp({ phone }));
    expect(await refusal(otp({ phone }))).toMatchObject({ scope: 'recipient' });

    const parent = await env.client.workflow.execute('verifyPhoneAsChild', {
      taskQueue: h.taskQueue,
      workflowId: uniqueId('signup'),
      args: [otp({ phone })],
    });
    expect(parent).toEqual({ failure: ErrorTypes.limitExceeded, scope: 'recipient' });

    // A direct start, with no client at all, is refused the same way, before anything is sent.
    const direct = await env.client.workflow
      .execute('otpVerification', { taskQueue: h.taskQueue, workflowId: uniqueId('otp'), args: [otp({ phone })] })
      .catch((e: unknown) => e);
    expect(direct).toBeInstanceOf(WorkflowFailedError);
    expect((direct as WorkflowFailedError).cause).toMatchObject({ type: ErrorTypes.limitExceeded });
    expect(sentTo(phone)).toBe(3);
  });
});
