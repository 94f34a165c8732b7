import { randomUUID } from 'node:crypto';
import { type TestWorkflowEnvironment } from '@temporalio/testing';
import { request } from 'undici';
import { startSimulator, type Simulator } from '../../src/sim/server';
import { freePort } from '../../src/testing/dev-server';
import { createLocalEnvironment, SHARED_DEV_SERVER_ENV } from '../../src/testing/environment';
import { deliverMessage } from '../../src/workflows';
import { simEnv, uniqueId, uniquePhone } from '../support/cascade';
import { startWorkerMain } from '../support/worker-main';

/** `npm run worker` as deployed: environment config, prebuilt bundle, Prometheus metrics, graceful stop. */
describe('the worker entry point', () => {
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

  test('runs flows from a prebuilt bundle, serves metrics, and stops cleanly on SIGTERM', async () => {
    const taskQueue = `main-${randomUUID()}`;
    const metrics = `127.0.0.1:${await freePort()}`;
    const { child, exited } = await startWorkerMain({
      ...simEnv(sim),
      TEMPORAL_ADDRESS: process.env[SHARED_DEV_SERVER_ENV] ?? env.address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      CASCADE_METRICS_ADDRESS: metrics,
    });
    try {
      const phone = uniquePhone();
      const result = await env.client.workflow.execute(deliverMessage, {
        taskQueue,
        workflowId: `deliver:${uniqueId('main')}`,
        args: [
          {
            trackingId: uniqueId('t'),
            recipient: { phone },
            text: 'hi',
            steps: [{ channel: 'smsbat', fromName: 'Shop' }],
          },
        ],
      });
      expect(result.status).toBe('delivered');

      const res = await request(`http://${metrics}/metrics`);
      const body = await res.body.text();
      expect(res.statusCode).toBe(200);
      expect(body).toMatch(/temporal_workflow_completed/);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 90_000);
});
