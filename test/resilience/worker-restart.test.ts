import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { type TestWorkflowEnvironment } from '@temporalio/testing';
import { statusQuery } from '../../src/shared/messages';
import { startSimulator, type Simulator } from '../../src/sim/server';
import { createLocalEnvironment, SHARED_DEV_SERVER_ENV } from '../../src/testing/environment';
import { deliverMessage } from '../../src/workflows';
import { simEnv, uniqueId, uniquePhone } from '../support/cascade';

/** A worker dies (SIGKILL) while flows wait for receipts; a new one finishes every flow. */
describe('worker restart mid-flow (dev server)', () => {
  let env: TestWorkflowEnvironment;
  let sim: Simulator;
  const taskQueue = `restart-${randomUUID()}`;
  const workers: ChildProcess[] = [];

  beforeAll(async () => {
    env = await createLocalEnvironment();
    sim = await startSimulator({ deliveryDelayMs: 0 });
  });
  afterAll(async () => {
    for (const w of workers) w.kill('SIGKILL');
    await sim?.close();
    await env?.teardown();
  });

  function startWorker(): Promise<ChildProcess> {
    // One process (no tsx wrapper): SIGKILL must hit the worker itself.
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '../support/worker-process.ts')], {
      env: {
        ...process.env,
        ...simEnv(sim),
        TEMPORAL_ADDRESS: process.env[SHARED_DEV_SERVER_ENV] ?? env.address,
        TEMPORAL_TASK_QUEUE: taskQueue,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    workers.push(child);
    return new Promise((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d) => {
        out += d;
        if (out.includes('worker ready')) resolve(child);
      });
      child.stderr!.on('data', (d) => (out += d));
      child.once('exit', (code) => reject(new Error(`worker exited (${code}): ${out}`)));
    });
  }

  test('every flow completes, nothing lost, no step sent twice', async () => {
    const first = await startWorker();
    const flows = Array.from({ length: 5 }, () => ({ trackingId: uniqueId('restart'), phone: uniquePhone() }));
    for (const f of flows)
      sim.script({ recipient: f.phone, provider: 'smsbat', outcome: { kind: 'pending' }, receipt: 'withhold' });
    const handles = await Promise.all(
      flows.map((f) =>
        env.client.workflow.start(deliverMessage, {
          taskQueue,
          workflowId: `deliver:${f.trackingId}`,
          args: [
            {
              trackingId: f.trackingId,
              recipient: { phone: f.phone },
              text: 'Your parcel is on its way',
              steps: [
                { channel: 'smsbat', fromName: 'Shop', deliveryTimeout: '2m' },
                { channel: 'reach', src: 'Shop' },
              ],
            },
          ],
        }),
      ),
    );
    // Every flow has sent and is waiting for its receipt …
    for (const h of handles) {
      for (let i = 0; ; i++) {
        if ((await h.query(statusQuery)).phase === 'waiting_for_receipt') break;
        if (i > 200) throw new Error('flow did not reach its receipt wait');
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    // … when the worker dies. Meanwhile the provider delivers every message.
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    for (const m of sim.messages('smsbat')) sim.settle('smsbat', m.messageId, 'delivered');

    await startWorker();
    const results = await Promise.all(handles.map((h) => h.result()));
    for (const [i, result] of results.entries()) {
      expect(result.status).toBe('delivered');
      expect(result.deliveredBy?.channel).toBe('smsbat');
      expect(sim.messages('smsbat').filter((m) => m.recipient === flows[i].phone)).toHaveLength(1);
    }
    expect(sim.messages('reach')).toHaveLength(0);
  }, 120_000);
});
