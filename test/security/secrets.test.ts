import { randomUUID } from 'node:crypto';
import { type TestWorkflowEnvironment } from '@temporalio/testing';
import { CascadeClient } from '../../src/client';
import { startSimulator, type Simulator } from '../../src/sim/server';
import { createLocalEnvironment, SHARED_DEV_SERVER_ENV } from '../../src/testing/environment';
import { simEnv, TEST_OTP_SECRET, uniqueId, uniquePhone } from '../support/cascade';
import { decodedHistory } from '../support/history';
import { startWorkerMain } from '../support/worker-main';

/**
 * Secrets hygiene, without payload encryption (so nothing hides behind it): after complete runs,
 * including provider errors, neither the full histories nor the worker's logs contain any
 * configured secret or the OTP code.
 */
describe('secrets never reach history or logs', () => {
  let env: TestWorkflowEnvironment;
  let sim: Simulator;
  beforeAll(async () => {
    env = await createLocalEnvironment();
    sim = await startSimulator({ deliveryDelayMs: 0 });
  });
  afterAll(async () => {
    await sim?.close();
    await env?.teardown();
  });

  test('a full OTP flow with a failing provider, and a delivery', async () => {
    const taskQueue = `secrets-${randomUUID()}`;
    const smtpPassword = `smtp-pass-${randomUUID()}`;
    const config: Record<string, string> = {
      ...simEnv(sim),
      SMTP_URL: sim.smtpUrl!.replace('smtp://', `smtp://mailer:${smtpPassword}@`),
      TEMPORAL_ADDRESS: process.env[SHARED_DEV_SERVER_ENV] ?? env.address,
      TEMPORAL_TASK_QUEUE: taskQueue,
    };
    const secrets = [config.SMSBAT_API_KEY, config.REACH_API_KEY, config.CASCADE_OTP_SECRET, smtpPassword];

    const worker = await startWorkerMain(config);
    try {
      const cascade = new CascadeClient({ client: env.client, taskQueue, otpSecret: TEST_OTP_SECRET });
      const phone = uniquePhone();
      // SMSBAT refuses (an error that gets logged), Reach and email carry the code.
      sim.script({
        recipient: phone,
        provider: 'smsbat',
        outcome: { kind: 'reject', status: 400, code: 'INVALID_PHONE', message: 'Invalid phone number format' },
      });
      const otp = await cascade.startOtp({
        trackingId: uniqueId('secret'),
        recipient: { phone, email: 'secret@example.com' },
        steps: [
          { channel: 'smsbat', fromName: 'MyApp' },
          { channel: 'reach', src: 'MyApp', deliveryTimeout: '1s' },
          { channel: 'email' },
        ],
        template: 'Your code is {code}',
        codeLength: 10,
      });
      let code: string | undefined;
      for (let i = 0; i < 200 && !code; i++) {
        code = sim
          .messages('reach')
          .find((m) => m.recipient === phone)
          ?.text?.match(/(\d{10})/)?.[1];
        if (!code) await new Promise((r) => setTimeout(r, 50));
      }
      expect(code).toBeDefined();
      await cascade.resendOtp(otp.id, { nextStep: true }).catch(() => undefined); // cooldown refusal is fine
      expect((await cascade.verifyOtp(otp.id, code!)).status).toBe('approved');

      const message = await cascade.sendMessage({
        trackingId: uniqueId('secret-msg'),
        recipient: { email: 'secret@example.com' },
        text: 'A plain message',
        steps: [{ channel: 'email' }],
      });
      await cascade.result(message.id);

      const histories = [
        decodedHistory(await env.client.workflow.getHandle(otp.id).fetchHistory()),
        decodedHistory(await env.client.workflow.getHandle(message.id).fetchHistory()),
      ].join('\n');
      expect(histories).toContain('Your code is {code}'); // the check really reads the payloads
      for (const needle of [...secrets, code!]) {
        expect(histories).not.toContain(needle);
        expect(worker.logs()).not.toContain(needle);
      }
    } finally {
      worker.child.kill('SIGTERM');
      await worker.exited;
    }
    expect(worker.logs()).toMatch(/INVALID_PHONE|ProviderRequestError/); // the logs did record the failure
  }, 90_000);
  test('a provider error that quotes the text puts the code nowhere: history, queries, logs', async () => {
    const taskQueue = `echo-${randomUUID()}`;
    const worker = await startWorkerMain({
      ...simEnv(sim),
      TEMPORAL_ADDRESS: process.env[SHARED_DEV_SERVER_ENV] ?? env.address,
      TEMPORAL_TASK_QUEUE: taskQueue,
    });
    try {
      const cascade = new CascadeClient({ client: env.client, taskQueue, otpSecret: TEST_OTP_SECRET });
      const phone = uniquePhone();
      const email = `echo-${randomUUID()}@example.com`;
      // Both SMS providers refuse with a message that quotes the rendered text (code included).
      sim.script({ recipient: phone, provider: 'smsbat', outcome: { kind: 'reject', status: 400, echoText: true } });
      sim.script({ recipient: phone, provider: 'reach', outcome: { kind: 'reject', status: 400, echoText: true } });
      const otp = await cascade.startOtp({
        trackingId: uniqueId('echo'),
        recipient: { phone, email },
        steps: [{ channel: 'smsbat', fromName: 'MyApp' }, { channel: 'reach', src: 'MyApp' }, { channel: 'email' }],
        template: 'Your code is {code}',
        codeLength: 10,
      });
      let code: string | undefined;
      for (let i = 0; i < 400 && !code; i++) {
        code = sim
          .messages('email')
          .find((m) => m.recipient === email)
          ?.text?.match(/(\d{10})/)?.[1];
        if (!code) await new Promise((r) => setTimeout(r, 50));
      }
      expect(code).toBeDefined();
      const status = JSON.stringify(await cascade.getStatus(otp.id));
      expect(status).toMatch(/rejected/); // the provider's refusal is reported, scrubbed
      expect(status).not.toContain(code!);
      expect((await cascade.verifyOtp(otp.id, code!)).status).toBe('approved');
      const history = decodedHistory(await env.client.workflow.getHandle(otp.id).fetchHistory());
      expect(history).toMatch(/rejected/);
      expect(history).not.toContain(code!);
      expect(JSON.stringify(await cascade.result(otp.id))).not.toContain(code!);
    } finally {
      worker.child.kill('SIGTERM');
      await worker.exited;
    }
    expect(worker.logs()).toMatch(/rejected/);
    expect(worker.logs()).not.toMatch(/Your code is \d/);
  }, 90_000);
  test('a provider error that quotes the recipient keeps the number and the address out of queries and logs', async () => {
    const taskQueue = `echo-to-${randomUUID()}`;
    const worker = await startWorkerMain({
      ...simEnv(sim),
      TEMPORAL_ADDRESS: process.env[SHARED_DEV_SERVER_ENV] ?? env.address,
      TEMPORAL_TASK_QUEUE: taskQueue,
    });
    const phone = uniquePhone();
    const email = `quoted-${randomUUID()}@example.com`;
    try {
      const cascade = new CascadeClient({ client: env.client, taskQueue, otpSecret: TEST_OTP_SECRET });
      // A plain message (no digit rule): SMSBAT names the number without its +, Reach with it.
      sim.script({
        recipient: phone,
        provider: 'smsbat',
        outcome: {
          kind: 'reject',
          status: 400,
          code: 'INVALID_PHONE',
          message: `number ${phone.slice(1)} is not valid`,
        },
      });
      sim.script({
        recipient: phone,
        provider: 'reach',
        outcome: { kind: 'reject', status: 400, message: `cannot send to ${phone} (${email})` },
      });
      const sent = await cascade.sendMessage({
        trackingId: uniqueId('echo-to'),
        recipient: { phone, email },
        text: 'Your parcel is on its way',
        steps: [{ channel: 'smsbat', fromName: 'Shop' }, { channel: 'reach', src: 'Shop' }, { channel: 'email' }],
      });
      expect((await cascade.result(sent.id)).status).toBe('delivered');
      const errors = JSON.stringify(
        (
          (await cascade.getStatus(sent.id)).progress as { attempts?: { error?: unknown }[] } | undefined
        )?.attempts?.map((a) => a.error) ?? (await cascade.getStatus(sent.id)),
      );
      expect(errors).toMatch(/is not valid|cannot send to/); // the refusals are reported
      for (const needle of [phone, phone.slice(1), email]) expect(errors).not.toContain(needle);
    } finally {
      worker.child.kill('SIGTERM');
      await worker.exited;
    }
    expect(worker.logs()).toMatch(/number \[redacted\] is not valid/); // logged, scrubbed
    for (const needle of [phone.slice(1), email]) expect(worker.logs()).not.toContain(needle);
  }, 90_000);
});
