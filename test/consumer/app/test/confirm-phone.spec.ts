// The app's own test, with temporal-cascade's testing kit: its workflow, ours beside it, the
// provider simulator and the time-skipping server. Jest's default 5 s per test applies.
import { CascadeTestbed, createTimeSkippingEnvironment } from 'temporal-cascade/testing';
import { confirmPhone } from '../src/workflows';

type Env = Awaited<ReturnType<typeof createTimeSkippingEnvironment>>;

describe('confirming a phone number', () => {
  let env: Env;
  let bed: CascadeTestbed;

  beforeAll(async () => {
    env = await createTimeSkippingEnvironment();
    bed = await CascadeTestbed.start({ env, workflowsPath: require.resolve('../src/workflows') });
  }, 120_000);
  afterAll(async () => {
    await bed?.close();
    await env?.teardown();
  }, 60_000);

  test('when SMSBAT fails the message, the code goes by email and confirms the phone', async () => {
    const phone = '+380501110002';
    bed.failDelivery('smsbat', phone);
    const handle = await env.client.workflow.start(confirmPhone, {
      taskQueue: bed.taskQueue,
      workflowId: 'confirm-phone-bob',
      args: [{ userId: 'bob', phone, email: 'bob@example.com' }],
    });
    const code = await bed.codeSentTo('bob@example.com');
    expect(await bed.client.verifyOtp('otp:confirm-bob', code)).toMatchObject({ status: 'approved' });
    expect(await handle.result()).toEqual({ userId: 'bob', confirmed: true, via: 'email' });
    bed.expectSent({ provider: 'smsbat', to: phone, count: 1 });
    bed.expectSent({ provider: 'email', to: 'bob@example.com', count: 1, text: /ConsumerApp code: \d{6}/ });
  });
});
