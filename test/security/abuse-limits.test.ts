import { type TestWorkflowEnvironment } from '@temporalio/testing';
import { CascadeClient, CascadeLimitError, type LimitPolicy } from '../../src/client';
import { type OtpInput } from '../../src/shared/schemas';
import { createLocalEnvironment } from '../../src/testing/environment';
import { startHarness, TEST_OTP_SECRET, uniqueId, type Harness } from '../support/cascade';

const POLICY: LimitPolicy = {
  perRecipientHour: 3,
  perRecipientDay: 10,
  prefixLength: 7,
  perPrefixHour: 1000,
  conversion: { minFlows: 5, window: 20, minRate: 0.3, settleAfterMs: 0 },
};

describe('abuse limits (dev server)', () => {
  let env: TestWorkflowEnvironment;
  let h: Harness;
  let cascade: CascadeClient;
  beforeAll(async () => {
    env = await createLocalEnvironment();
    h = await startHarness(env);
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

  const otp = (phone: string, trackingId = uniqueId('limit')): OtpInput => ({
    trackingId,
    recipient: { phone },
    steps: [{ channel: 'smsbat', fromName: 'MyApp' }],
    template: 'Code {code}',
  });
  const sentTo = (phone: string) => h.sim.messages('smsbat').filter((m) => m.recipient === phone).length;
  async function sentCount(phone: string, n: number) {
    for (let i = 0; i < 200 && sentTo(phone) < n; i++) await new Promise((r) => setTimeout(r, 25));
    return sentTo(phone);
  }
  async function verifyLatest(id: string, phone: string) {
    await sentCount(phone, 1);
    const text = h.sim
      .messages('smsbat')
      .filter((m) => m.recipient === phone)
      .at(-1)!.text!;
    return cascade.verifyOtp(id, /(\d{6})/.exec(text)![1]);
  }

  test('the (N+1)-th code to one recipient within the hour is refused, with no provider call', async () => {
    const phone = '+380991234101';
    const first = otp(phone);
    for (let i = 0; i < 3; i++) await cascade.startOtp(i === 0 ? first : otp(phone));
    await cascade.startOtp(first); // a repeated start of the same flow does not count again
    expect(await sentCount(phone, 3)).toBe(3);

    const refused = await cascade.startOtp(otp(phone)).catch((e) => e);
    expect(refused).toBeInstanceOf(CascadeLimitError);
    expect(refused).toMatchObject({ scope: 'recipient', reason: expect.stringMatching(/in an hour/) });
    expect(refused.retryAfterMs).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 300));
    expect(sentTo(phone)).toBe(3);
  });

  test('SMS pumping: a prefix whose codes never convert is blocked, another keeps working, an operator unblocks', async () => {
    const pumped = (i: number) => `+3806310${String(10000 + i).slice(1)}1`;
    for (let i = 0; i < 5; i++) await cascade.startOtp(otp(pumped(i)));

    const blocked = await cascade.startOtp(otp(pumped(5))).catch((e) => e);
    expect(blocked).toBeInstanceOf(CascadeLimitError);
    expect(blocked).toMatchObject({
      scope: 'prefix',
      reason: expect.stringMatching(/0% of the last 5 codes.*SMS pumping/),
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(sentTo(pumped(5))).toBe(0);
    expect(await cascade.guard!.state('+380631')).toMatchObject({ blocked: true, recentFlows: 5, recentVerified: 0 });

    // Another prefix converts normally and stays open.
    const healthy = '+380632000001';
    const flow = await cascade.startOtp(otp(healthy));
    expect((await verifyLatest(flow.id, healthy)).status).toBe('approved');
    for (let i = 0; i < 200 && (await cascade.guard!.state('+380632')).recentVerified < 1; i++) {
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(await cascade.guard!.state('+380632')).toMatchObject({ blocked: false, recentVerified: 1 });

    // The operator looks, decides it was a campaign, and unblocks.
    await cascade.guard!.unblockPrefix('+380631', 'ops@example.com', 'spring campaign');
    expect(await cascade.guard!.state('+380631')).toMatchObject({
      blocked: false,
      reason: expect.stringMatching(/unblocked by ops@example.com/),
    });
    await expect(cascade.startOtp(otp(pumped(6)))).resolves.toMatchObject({ started: true });
    expect(await sentCount(pumped(6), 1)).toBe(1);
  });
});
