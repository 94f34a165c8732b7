import { createHmac, randomUUID } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { type TestWorkflowEnvironment } from '@temporalio/testing';
import { CascadeClient, CascadeLimitError, ErrorTypes, type LimitPolicy } from '../../src/client';
import { LimitStore } from '../../src/limits/store';
import { type LimitBackend } from '../../src/limits/types';
import { MemoryLimitBackend } from '../../src/limits/memory';
import { normalizeEmail, normalizePhone } from '../../src/otp/recipients';
import { DEFAULT_LIMITS } from '../../src/shared/limits';
import { type OtpInput } from '../../src/shared/schemas';
import { createLocalEnvironment } from '../../src/testing/environment';
import { startHarness, TEST_OTP_SECRET, uniqueId, type Harness } from '../support/cascade';

/** The defaults, with a recipient quota small enough for a test to reach. */
const POLICY: LimitPolicy = { ...DEFAULT_LIMITS, perRecipientHour: 3, guardTimeoutMs: 5000 };

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

describe('abuse limits (dev server, limit store)', () => {
  let env: TestWorkflowEnvironment;
  let h: Harness;
  let cascade: CascadeClient;
  beforeAll(async () => {
    env = await createLocalEnvironment();
    h = await startHarness(env, { limits: POLICY });
    cascade = new CascadeClient({
      client: env.client,
      taskQueue: h.taskQueue,
      otpSecret: TEST_OTP_SECRET,
      limitStore: h.limitStore,
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
    // Up to a minute: a busy machine may take seconds to send; what is counted is what arrived.
    for (const until = Date.now() + 60_000; Date.now() < until && sentTo(to) < n;)
      await new Promise((r) => setTimeout(r, 25));
    return sentTo(to);
  }
  const refusal = (input: OtpInput, via = cascade) =>
    via.startOtp(input).then(
      () => undefined,
      (e: unknown) => e,
    );

  test('the (N+1)-th code to one recipient within the hour is refused, with no provider call', async () => {
    const phone = '+380991234101';
    const first = otp({ phone });
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await cascade.startOtp(i === 0 ? first : otp({ phone })));
    expect(answers.every((a) => a.started && a.channel === 'smsbat')).toBe(true);
    // A repeated start of the same flow is that flow: not started again, not counted again.
    expect(await cascade.startOtp(first)).toMatchObject({ id: answers[0].id, started: false });
    expect(await sentCount(phone, 3)).toBe(3);

    const refused = await refusal(otp({ phone }));
    expect(refused).toBeInstanceOf(CascadeLimitError);
    expect(refused).toMatchObject({ scope: 'recipient', reason: 'more than 3 codes in an hour' });
    expect((refused as CascadeLimitError).retryAfterMs).toBeGreaterThan(3_500_000);
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

  test('a start that reuses a workflow id is counted again, and an old-style client proof in its input skips nothing', async () => {
    const phone = '+380991234606';
    const workflowId = uniqueId('otp');
    // The keyed proof a 0.2.0 client put in the input (HMAC of flow id and recipient key), copied into every start.
    const key = createHmac('sha256', TEST_OTP_SECRET)
      .update(`recipient|phone|${normalizePhone(phone).e164}`)
      .digest('base64url')
      .slice(0, 32);
    const proof = createHmac('sha256', TEST_OTP_SECRET)
      .update(`limits-checked|${workflowId}|${key}`)
      .digest('base64url');
    const outcomes = [];
    for (let i = 0; i < 5; i++) {
      outcomes.push(
        await env.client.workflow
          .start('otpVerification', {
            taskQueue: h.taskQueue,
            workflowId,
            workflowIdReusePolicy: 'ALLOW_DUPLICATE',
            workflowIdConflictPolicy: 'TERMINATE_EXISTING',
            args: [{ ...otp({ phone }), guard: { proof } }],
          })
          .then(async (handle) => {
            await sentCount(phone, Math.min(i + 1, 3));
            return handle;
          }),
      );
    }
    const last = await outcomes
      .at(-1)!
      .result()
      .catch((e: unknown) => e);
    expect((last as WorkflowFailedError).cause).toMatchObject({ type: ErrorTypes.limitExceeded });
    await new Promise((r) => setTimeout(r, 300));
    expect(sentTo(phone)).toBe(3);
  });

  test('a child otpVerification started by a user workflow, and a direct start, are refused exactly as startOtp is', async () => {
    const phone = '+380991234505';
    for (let i = 0; i < 3; i++) await cascade.startOtp(otp({ phone }));
    expect(await refusal(otp({ phone }))).toMatchObject({ scope: 'recipient' });

    const parent = await env.client.workflow.execute('verifyPhoneAsChild', {
      taskQueue: h.taskQueue,
      workflowId: uniqueId('signup'),
      args: [otp({ phone })],
    });
    expect(parent).toEqual({ failure: ErrorTypes.limitExceeded, scope: 'recipient' });

    const direct = await env.client.workflow
      .execute('otpVerification', { taskQueue: h.taskQueue, workflowId: uniqueId('otp'), args: [otp({ phone })] })
      .catch((e: unknown) => e);
    expect(direct).toBeInstanceOf(WorkflowFailedError);
    expect((direct as WorkflowFailedError).cause).toMatchObject({ type: ErrorTypes.limitExceeded });
    expect(await sentCount(phone, 3)).toBe(3);
  });

  test('a refused tracking id started again answers the same refusal', async () => {
    const phone = '+380991234707';
    for (let i = 0; i < 3; i++) await cascade.startOtp(otp({ phone }));
    const again = otp({ phone });
    expect(await refusal(again)).toMatchObject({ scope: 'recipient' });
    expect(await refusal(again)).toMatchObject({ scope: 'recipient', reason: 'more than 3 codes in an hour' });
  });

  test('no worker to answer within the deadline is a refusal (guard_unavailable), not a wait', async () => {
    const nobody = new CascadeClient({
      client: env.client,
      taskQueue: `no-worker-${randomUUID()}`,
      otpSecret: TEST_OTP_SECRET,
      limits: { ...POLICY, guardTimeoutMs: 1000 },
    });
    const started = Date.now();
    const refused = await refusal(otp({ phone: '+380991234404' }), nobody);
    // Without the deadline it would wait for a worker for ever; a busy machine may take seconds to say no.
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(refused).toBeInstanceOf(CascadeLimitError);
    expect(refused).toMatchObject({ reason: 'guard_unavailable' });
  });
});

describe('SMS pumping (dev server)', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createLocalEnvironment();
  });
  afterAll(async () => {
    await env?.teardown();
  });
  const otp = (recipient: OtpInput['recipient']): OtpInput => ({
    trackingId: uniqueId('pump'),
    recipient,
    steps: [{ channel: 'smsbat', fromName: 'MyApp' }],
    template: 'Code {code}',
  });

  test('SMS pumping: a burst of unconverted codes blocks the prefix (why, since, until), another prefix converts and stays open, an operator unblocks', async () => {
    // A burst small enough to reach: its own worker, so the other tests' prefixes are not judged by it.
    const h = await startHarness(env, { limits: { ...POLICY, burst: { maxUnverified: 6, windowMs: 600_000 } } });
    const cascade = new CascadeClient({
      client: env.client,
      taskQueue: h.taskQueue,
      otpSecret: TEST_OTP_SECRET,
      limitStore: h.limitStore,
    });
    const sentTo = (to: string) => h.sim.messages().filter((m) => m.recipient === to).length;
    async function sentCount(to: string, n: number) {
      // Up to a minute: a busy machine may take seconds to send; what is counted is what arrived.
      for (const until = Date.now() + 60_000; Date.now() < until && sentTo(to) < n;)
        await new Promise((r) => setTimeout(r, 25));
      return sentTo(to);
    }
    const refusal = (input: OtpInput) =>
      cascade.startOtp(input).then(
        () => undefined,
        (e: unknown) => e,
      );
    try {
      const pumped = (i: number) => `+38063100${String(1000 + i)}`;
      for (let i = 0; i < 5; i++) await cascade.startOtp(otp({ phone: pumped(i) }));
      const blocked = await refusal(otp({ phone: pumped(5) }));
      expect(blocked).toBeInstanceOf(CascadeLimitError);
      expect(blocked).toMatchObject({
        scope: 'prefix',
        reason: expect.stringMatching(/6 codes .* not verified.*SMS pumping/),
      });
      await new Promise((r) => setTimeout(r, 300));
      expect(sentTo(pumped(5))).toBe(0);
      const state = await cascade.guard!.state('+38063');
      expect(state).toMatchObject({ blocked: true, recentFlows: 5, recentVerified: 0, trips: 1 });
      expect(state.until! - state.since!).toBe(15 * 60_000);
      expect((await cascade.guard!.list()).map((s) => s.key)).toEqual(['+38063']);

      // Another prefix converts: the flow records its conversion in the store.
      const healthy = '+380671000001';
      const flow = await cascade.startOtp(otp({ phone: healthy }));
      await sentCount(healthy, 1);
      const text = h.sim
        .messages('smsbat')
        .filter((m) => m.recipient === healthy)
        .at(-1)!.text!;
      expect((await cascade.verifyOtp(flow.id, /(\d{6})/.exec(text)![1])).status).toBe('approved');
      for (let i = 0; i < 400 && (await cascade.guard!.state('+38067')).recentVerified < 1; i++) {
        await new Promise((r) => setTimeout(r, 25));
      }
      expect(await cascade.guard!.state('+38067')).toMatchObject({ blocked: false, recentVerified: 1 });

      await cascade.guard!.unblockPrefix('+38063', 'ops@example.com', 'spring campaign');
      expect(await cascade.guard!.state('+38063')).toMatchObject({
        blocked: false,
        reason: 'unblocked by ops@example.com: spring campaign',
      });
      await expect(cascade.startOtp(otp({ phone: pumped(6) }))).resolves.toMatchObject({ started: true });
      expect(await sentCount(pumped(6), 1)).toBe(1);
    } finally {
      await h.close();
    }
  });
});

describe('the limit store unreachable', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createLocalEnvironment();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  /** A store whose database never answers an admission. */
  function hangingStore(policy: LimitPolicy): { store: LimitStore; asked: () => number } {
    let asked = 0;
    const memory = new MemoryLimitBackend();
    const backend: LimitBackend = Object.assign(Object.create(memory) as LimitBackend, {
      admit: () => {
        asked++;
        return new Promise<never>(() => undefined);
      },
    });
    return { store: new LimitStore(backend, policy), asked: () => asked };
  }

  async function startUnder(policy: LimitPolicy) {
    const { store, asked } = hangingStore(policy);
    const h = await startHarness(env, { limits: policy, limitStore: store });
    const cascade = new CascadeClient({ client: env.client, taskQueue: h.taskQueue, otpSecret: TEST_OTP_SECRET });
    return { h, cascade, asked };
  }

  test('fails closed by default: guard_unavailable, nothing sent', async () => {
    const { h, cascade, asked } = await startUnder({ ...DEFAULT_LIMITS, guardTimeoutMs: 1000 });
    try {
      const phones = ['+380991239001', '+380991239002', '+380991239003'];
      const answers = await Promise.all(
        phones.map((phone) =>
          cascade
            .startOtp({
              trackingId: uniqueId('down'),
              recipient: { phone },
              steps: [{ channel: 'smsbat', fromName: 'MyApp' }],
              template: 'Code {code}',
            })
            .catch((e: unknown) => e),
        ),
      );
      for (const a of answers) expect(a).toMatchObject({ name: 'CascadeLimitError', reason: 'guard_unavailable' });
      expect(asked()).toBe(3);
      await new Promise((r) => setTimeout(r, 300));
      expect(h.sim.messages()).toHaveLength(0);
    } finally {
      await h.close();
    }
  });

  test('fails open when configured: the code is sent, unchecked', async () => {
    const { h, cascade } = await startUnder({ ...DEFAULT_LIMITS, guardTimeoutMs: 1000, failOpen: true });
    try {
      const phone = '+380991239101';
      await expect(
        cascade.startOtp({
          trackingId: uniqueId('open'),
          recipient: { phone },
          steps: [{ channel: 'smsbat', fromName: 'MyApp' }],
          template: 'Code {code}',
        }),
      ).resolves.toMatchObject({ started: true });
      for (let i = 0; i < 400 && h.sim.messages().length === 0; i++) await new Promise((r) => setTimeout(r, 25));
      expect(h.sim.messages().map((m) => m.recipient)).toEqual([phone]);
    } finally {
      await h.close();
    }
  });
});
