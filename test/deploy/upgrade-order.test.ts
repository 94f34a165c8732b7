import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { type TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import { CascadeClient } from '../../src/client';
import { loadConfig } from '../../src/config';
import { startSimulator, type Simulator } from '../../src/sim/server';
import { createLocalEnvironment, SHARED_DEV_SERVER_ENV } from '../../src/testing/environment';
import { createCascadePlugin } from '../../src/worker/plugin';
import { simEnv, TEST_OTP_SECRET, uniqueId, uniquePhone } from '../support/cascade';
import { startWorkerMain } from '../support/worker-main';

/**
 * Deploy orders (issue 23, 3). The "old worker" runs the workflow code of 0.2.0 itself — the
 * workflows of the release's commit, checked out from git and bundled — beside this tree's
 * activities (which keep every name 0.2.0 calls). Flows are counted at the simulated provider.
 */
const RELEASE_0_2 = '2afbc0e'; // "0.2.0: version bumped, its history set recorded"

describe('upgrade in any order (dev server, 0.2.0 workflow code from git)', () => {
  let env: TestWorkflowEnvironment;
  let sim: Simulator;
  let oldCode: string;
  let newCode: string;
  const dir = join(__dirname, '..', '..', 'test-artifacts', `release-${RELEASE_0_2}-${randomUUID()}`);

  beforeAll(async () => {
    mkdirSync(dir, { recursive: true });
    const archive = execFileSync('git', ['archive', RELEASE_0_2, 'src'], { cwd: join(__dirname, '..', '..') });
    execFileSync('tar', ['-x', '-C', dir], { input: archive });
    const logger = new DefaultLogger('WARN');
    oldCode = (await bundleWorkflowCode({ workflowsPath: join(dir, 'src', 'workflows', 'index.ts'), logger })).code;
    writeFileSync(join(dir, 'old-bundle.js'), oldCode);
    newCode = (await bundleWorkflowCode({ workflowsPath: require.resolve('../../src/workflows'), logger })).code;
    env = await createLocalEnvironment();
    sim = await startSimulator({ deliveryDelayMs: 0 });
  });
  afterAll(async () => {
    await sim?.close();
    await env?.teardown();
    rmSync(dir, { recursive: true, force: true });
  });

  async function worker(taskQueue: string, code: string): Promise<Worker> {
    return Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: { code },
      plugins: [createCascadePlugin({ config: loadConfig(simEnv(sim)), checkNamespace: false })],
    });
  }

  const received = (phone: string) => sim.messages().filter((m) => m.recipient === phone);

  async function code(phone: string, nth: number): Promise<string> {
    for (let i = 0; i < 400; i++) {
      const sent = received(phone);
      if (sent.length >= nth) return /(\d{6})/.exec(sent[nth - 1].text ?? '')![1];
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`no message ${nth} to ${phone}`);
  }

  test('new client + old worker, then the new worker takes over the flow: resend and verify work, one message per send', async () => {
    const taskQueue = `upgrade-${randomUUID()}`;
    const cascade = new CascadeClient({ client: env.client, taskQueue, otpSecret: TEST_OTP_SECRET });
    const phone = uniquePhone();
    const old = await worker(taskQueue, oldCode);
    const { id } = await old.runUntil(async () => {
      const started = await cascade.startOtp({
        trackingId: uniqueId('upgrade'),
        recipient: { phone },
        steps: [{ channel: 'smsbat', fromName: 'MyApp' }],
        template: 'Your code is {code}',
        resendCooldown: '0s',
      });
      await code(phone, 1);
      return started;
    });
    // The old worker is gone; the new one replays the flow's 0.2.0 history and carries on.
    const current = await worker(taskQueue, newCode);
    await current.runUntil(async () => {
      await cascade.resendOtp(id);
      const resent = await code(phone, 2);
      expect(await cascade.verifyOtp(id, resent)).toMatchObject({ status: 'approved' });
      expect(await cascade.result(id)).toMatchObject({ status: 'approved', sends: 2 });
    });
    expect(received(phone)).toHaveLength(2);
  });

  test('a mixed rollout (old and new workers on one task queue): new flows all complete, one message each', async () => {
    const taskQueue = `mixed-${randomUUID()}`;
    const cascade = new CascadeClient({ client: env.client, taskQueue, otpSecret: TEST_OTP_SECRET });
    // One worker per process (Temporal refuses two on one queue in a process): the old one in its own.
    const old = await startWorkerMain({
      ...simEnv(sim),
      TEMPORAL_ADDRESS: process.env[SHARED_DEV_SERVER_ENV] ?? env.connection.options.address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      CASCADE_WORKFLOW_BUNDLE: join(dir, 'old-bundle.js'),
    });
    const current = await worker(taskQueue, newCode);
    try {
      await current.runUntil(async () => {
        const phones = Array.from({ length: 6 }, () => uniquePhone());
        const ids = await Promise.all(
          phones.map(async (phone) => {
            const { id } = await cascade.startOtp({
              trackingId: uniqueId('mixed'),
              recipient: { phone },
              steps: [{ channel: 'smsbat', fromName: 'MyApp' }],
              template: 'Your code is {code}',
            });
            return id;
          }),
        );
        for (const [n, id] of ids.entries()) {
          const sent = await code(phones[n], 1);
          expect(await cascade.verifyOtp(id, sent)).toMatchObject({ status: 'approved' });
          expect(await cascade.result(id)).toMatchObject({ status: 'approved', sends: 1 });
        }
        for (const phone of phones) expect(received(phone)).toHaveLength(1);
      });
    } finally {
      old.child.kill('SIGTERM');
      await old.exited;
    }
  });
});
