// A user-style test: only the public `temporal-cascade/testing` API and the user's own workflow.
import { CascadeTestbed, createTimeSkippingEnvironment } from 'temporal-cascade/testing';
import { signup } from './workflows';

type Env = Awaited<ReturnType<typeof createTimeSkippingEnvironment>>;

describe('signup confirms the account with a one-time code', () => {
  let env: Env;
  let bed: CascadeTestbed;

  beforeAll(async () => {
    env = await createTimeSkippingEnvironment();
    bed = await CascadeTestbed.start({ env, workflowsPath: require.resolve('./workflows') });
  });
  afterAll(async () => {
    await bed?.close();
    await env?.teardown();
  });

  const start = (userId: string, phone: string) =>
    env.client.workflow.start(signup, {
      taskQueue: bed.taskQueue,
      workflowId: `signup-${userId}`,
      args: [{ userId, phone, email: `${userId}@example.com` }],
    });

  test('the code the user received activates the account', async () => {
    const handle = await start('ann', '+380501110001');
    const code = await bed.codeSentTo('+380501110001');
    expect(await bed.client.verifyOtp('otp:signup-ann', code)).toMatchObject({ status: 'approved' });
    expect(await handle.result()).toEqual({ userId: 'ann', status: 'active' });
    bed.expectSent({ provider: 'smsbat', to: '+380501110001', count: 1, text: /Welcome to MyApp! Your code: \d{6}/ });
  });

  test('when the SMS fails, the code goes by email', async () => {
    bed.failDelivery('smsbat', '+380501110002');
    const handle = await start('bob', '+380501110002');
    const code = await bed.codeSentTo('bob@example.com');
    await bed.client.verifyOtp('otp:signup-bob', code);
    expect((await handle.result()).status).toBe('active');
    bed.expectSent({ provider: 'email', to: 'bob@example.com', count: 1 });
  });

  test('an account nobody confirms stays unverified after the 7-day code expires — in seconds', async () => {
    const startedAt = await env.currentTimeMs();
    const handle = await start('cy', '+380501110003');
    expect(await handle.result()).toEqual({ userId: 'cy', status: 'unverified' });
    expect((await env.currentTimeMs()) - startedAt).toBeGreaterThanOrEqual(7 * 24 * 3600 * 1000);
  });
});
