import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { type TestWorkflowEnvironment } from '@temporalio/testing';
import { request } from 'undici';
import { startSimulator, type Simulator } from '../../src/sim/server';
import { freePort } from '../../src/testing/dev-server';
import { createLocalEnvironment, SHARED_DEV_SERVER_ENV } from '../../src/testing/environment';
import { deliverMessage } from '../../src/workflows';
import { simEnv, uniqueId, uniquePhone } from '../support/cascade';

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
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '../../src/worker.ts')], {
      env: {
        ...process.env,
        ...simEnv(sim),
        TEMPORAL_ADDRESS: process.env[SHARED_DEV_SERVER_ENV] ?? env.address,
        TEMPORAL_TASK_QUEUE: taskQueue,
        CASCADE_METRICS_ADDRESS: metrics,
        CASCADE_WORKFLOW_BUNDLE: process.env.TEMPORAL_CASCADE_TEST_BUNDLE ?? '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      for (let i = 0; !out.includes('temporal-cascade worker on task queue'); i++) {
        if (i > 300) throw new Error(`worker did not start:\n${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
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
