import { WorkflowUpdateFailedError } from '@temporalio/client';
import { sealOtpCode } from '../../src/otp/codes';
import { cancelSignal, resendUpdate, stateQuery, verifyUpdate } from '../../src/shared/messages';
import { type OtpInput } from '../../src/shared/schemas';
import { otpVerification } from '../../src/workflows';
import { decodedHistory } from '../support/history';
import { TEST_OTP_SECRET, uniqueId, uniquePhone, useLocalHarness } from '../support/cascade';

// Updates need the real server: the time-skipping server does not skip time while one waits.
describe('otpVerification (dev server, simulator over real sockets)', () => {
  const t = useLocalHarness();

  function input(overrides: Partial<OtpInput> = {}): OtpInput {
    return {
      trackingId: uniqueId('otp'),
      recipient: { phone: uniquePhone() },
      steps: [{ channel: 'smsbat', fromName: 'MyApp' }],
      template: 'Your MyApp code is {code}',
      ...overrides,
    };
  }

  async function start(i: OtpInput) {
    const handle = await t.env.client.workflow.start(otpVerification, {
      args: [i],
      workflowId: `otp:${i.trackingId}`,
      taskQueue: t.h.taskQueue,
    });
    return { handle, workflowId: handle.workflowId };
  }

  /** The code as the user sees it: read from the text the provider received. */
  async function codeSentTo(phone: string, nth = 1): Promise<string> {
    for (let i = 0; i < 200; i++) {
      const sent = t.h.sim.messages().filter((m) => m.recipient === phone);
      if (sent.length >= nth) return /(\d{4,10})/.exec(sent[nth - 1].text ?? '')![1];
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no code sent to ${phone}`);
  }

  const verify = (handle: Awaited<ReturnType<typeof start>>['handle'], code: string) =>
    handle.executeUpdate(verifyUpdate, { args: [{ code: sealOtpCode(TEST_OTP_SECRET, handle.workflowId, code) }] });

  test('the code that was sent is approved and ends the flow', async () => {
    const i = input();
    const { handle } = await start(i);
    const code = await codeSentTo(i.recipient.phone!);
    expect(code).toHaveLength(6);

    expect(await verify(handle, code)).toEqual({ status: 'approved', attemptsLeft: 4 });
    const result = await handle.result();
    expect(result).toMatchObject({ status: 'approved', verifyAttempts: 1, sends: 1 });
  });

  test('each step tells its provider to give up when the step does: SMSBAT (2 m) ttl ≤ 120, then Reach (3 m)', async () => {
    const i = input({
      steps: [
        { channel: 'smsbat', fromName: 'MyApp', deliveryTimeout: '2m' },
        { channel: 'reach', src: 'MyApp', deliveryTimeout: '3m' },
      ],
    });
    t.h.sim.script({ recipient: i.recipient.phone!, provider: 'smsbat', outcome: { kind: 'fail' } });
    const { handle } = await start(i);
    const code = await codeSentTo(i.recipient.phone!, 2); // the second message: Reach's, after the fallback
    const [smsbat] = t.h.sim.messages('smsbat').filter((m) => m.recipient === i.recipient.phone);
    const [reach] = t.h.sim.messages('reach').filter((m) => m.recipient === i.recipient.phone);
    expect(Number(smsbat.fields.ttl)).toBeGreaterThan(0);
    expect(Number(smsbat.fields.ttl)).toBeLessThanOrEqual(120);
    expect(Number(reach.fields.validityPeriod)).toBeGreaterThan(0);
    expect(Number(reach.fields.validityPeriod)).toBeLessThanOrEqual(180);
    expect(await verify(handle, code)).toMatchObject({ status: 'approved' });
  });

  test('five wrong codes exhaust the attempts and end the flow', async () => {
    const i = input({ codeLength: 8 });
    const { handle } = await start(i);
    const code = await codeSentTo(i.recipient.phone!);
    const wrong = code === '00000000' ? '11111111' : '00000000';
    const results = [];
    for (let n = 0; n < 5; n++) results.push(await verify(handle, wrong));
    expect(results.map((r) => r.status)).toEqual([
      'incorrect',
      'incorrect',
      'incorrect',
      'incorrect',
      'too_many_attempts',
    ]);
    expect(results.map((r) => r.attemptsLeft)).toEqual([4, 3, 2, 1, 0]);
    expect((await handle.result()).status).toBe('too_many_attempts');
  });

  test('malformed input is refused by the validator without spending an attempt', async () => {
    const i = input();
    const { handle } = await start(i);
    await codeSentTo(i.recipient.phone!);
    // A plaintext code, and a sealed code of the wrong length.
    await expect(handle.executeUpdate(verifyUpdate, { args: [{ code: '123456' }] })).rejects.toBeInstanceOf(
      WorkflowUpdateFailedError,
    );
    await expect(verify(handle, '1234')).rejects.toMatchObject(refusal(/6 digits/));
    expect((await handle.query(stateQuery)).attemptsLeft).toBe(5);
    await handle.signal(cancelSignal);
  });

  test('the code expires after codeTtl', async () => {
    const i = input({ codeTtl: '2s' });
    const { handle } = await start(i);
    const code = await codeSentTo(i.recipient.phone!);
    const result = await handle.result();
    expect(result.status).toBe('expired');
    await expect(verify(handle, code)).rejects.toThrow();
  });

  test('resend is refused during the cooldown, then sends the same code again', async () => {
    const i = input({ resendCooldown: '2s', maxSends: 2 });
    const { handle } = await start(i);
    const first = await codeSentTo(i.recipient.phone!);

    await expect(handle.executeUpdate(resendUpdate, { args: [{}] })).rejects.toMatchObject(refusal(/cooldown/));
    await new Promise((r) => setTimeout(r, 2100));
    const resent = await handle.executeUpdate(resendUpdate, { args: [{}] });
    expect(resent).toMatchObject({ sends: 2, sendsLeft: 0 });
    expect(await codeSentTo(i.recipient.phone!, 2)).toBe(first);

    await new Promise((r) => setTimeout(r, 2100));
    await expect(handle.executeUpdate(resendUpdate, { args: [{}] })).rejects.toMatchObject(refusal(/no sends left/));
    expect((await verify(handle, first)).status).toBe('approved');
  });

  test('resend with nextStep moves to the next channel', async () => {
    const i = input({
      recipient: { phone: uniquePhone(), email: 'otp-user@example.com' },
      steps: [
        { channel: 'smsbat', fromName: 'MyApp' },
        { channel: 'email', subject: 'Your code' },
      ],
      resendCooldown: 0,
    });
    const { handle } = await start(i);
    const code = await codeSentTo(i.recipient.phone!);
    expect(await handle.executeUpdate(resendUpdate, { args: [{ nextStep: true }] })).toMatchObject({ step: 1 });
    expect(await codeSentTo('otp-user@example.com')).toBe(code);
    await handle.signal(cancelSignal);
  });

  test('cancel ends the flow as canceled', async () => {
    const i = input();
    const { handle } = await start(i);
    await codeSentTo(i.recipient.phone!);
    await handle.signal(cancelSignal, { reason: 'user closed the page' });
    expect((await handle.result()).status).toBe('canceled');
  });

  test('the code never appears in workflow history', async () => {
    const i = input({
      recipient: { phone: uniquePhone(), email: 'history@example.com' },
      // Ten digits: a shorter code could turn up by chance inside an id or a timestamp.
      codeLength: 10,
      steps: [{ channel: 'smsbat', fromName: 'MyApp', deliveryTimeout: '1s' }, { channel: 'email' }],
    });
    t.h.sim.script({ recipient: i.recipient.phone, provider: 'smsbat', outcome: { kind: 'fail' } });
    const { handle } = await start(i);
    const code = await codeSentTo(i.recipient.phone!);
    expect(await codeSentTo('history@example.com')).toBe(code);
    await verify(handle, code);
    await handle.result();

    const text = decodedHistory(await handle.fetchHistory());
    expect(text).toContain('Your MyApp code is {code}'); // the template is there, decoded …
    expect(text).not.toContain(code); // … the code is not
    expect(text).not.toContain(TEST_OTP_SECRET);
  });
});

/** An update refused by its validator: the failure's cause says why. */
function refusal(reason: RegExp) {
  return { cause: { message: expect.stringMatching(reason) } };
}
