import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from '@temporalio/client';
import { type TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { loadConfig } from '../../src/config';
import { CascadePlugin } from '../../src/worker/plugin';
import { statusQuery } from '../../src/shared/messages';
import { startSimulator, type Simulator } from '../../src/sim/server';
import { createLocalEnvironment } from '../../src/testing/environment';
import { requireTemporalBinary } from '../../src/testing/temporal-binaries';
import { deliverMessage } from '../../src/workflows';
import { simEnv, uniqueId, uniquePhone } from '../support/cascade';
import { decodedHistory } from '../support/history';

const KEY_A = `a:${randomBytes(32).toString('base64')}`;
const KEY_B = `b:${randomBytes(32).toString('base64')}`;

/** Payloads are encrypted end to end; a flow started under key A finishes after a switch to key B. */
describe('encrypted payloads (dev server)', () => {
  let env: TestWorkflowEnvironment;
  let sim: Simulator;
  const taskQueue = `enc-${randomUUID()}`;

  beforeAll(async () => {
    sim = await startSimulator({ deliveryDelayMs: 0 });
    env = await createLocalEnvironment();
  });
  afterAll(async () => {
    await sim?.close();
    await env?.teardown();
  });

  function plugin(keys: string) {
    return new CascadePlugin({
      config: loadConfig({ ...simEnv(sim), CASCADE_ENCRYPTION_KEYS: keys, TEMPORAL_TASK_QUEUE: taskQueue }),
    });
  }
  function worker(keys: string) {
    const codePath = process.env.TEMPORAL_CASCADE_TEST_BUNDLE;
    return Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      plugins: [plugin(keys)],
      ...(codePath ? { workflowBundle: { codePath } } : {}),
    });
  }

  test('history holds no phone number or text in clear; key rotation keeps old flows running', async () => {
    const phone = uniquePhone();
    const text = `Secret parcel note ${randomUUID()}`;
    sim.script({ recipient: phone, provider: 'smsbat', outcome: { kind: 'pending' }, receipt: 'withhold' });
    const clientA = new Client({ connection: env.connection, plugins: [plugin(KEY_A)] });
    const workerA = await worker(KEY_A);
    const runningA = workerA.run();
    const handle = await clientA.workflow.start(deliverMessage, {
      taskQueue,
      workflowId: `deliver:${uniqueId('enc')}`,
      args: [
        {
          trackingId: uniqueId('t'),
          recipient: { phone },
          text,
          steps: [{ channel: 'smsbat', fromName: 'Shop', deliveryTimeout: '1m' }],
        },
      ],
    });
    for (let i = 0; (await handle.query(statusQuery)).phase !== 'waiting_for_receipt'; i++) {
      if (i > 200) throw new Error('flow did not reach its receipt wait');
      await new Promise((r) => setTimeout(r, 50));
    }
    workerA.shutdown();
    await runningA;

    // What anyone with plain access (no codec) reads: through an SDK client, and the plain Temporal CLI.
    const plain = decodedHistory(await env.client.workflow.getHandle(handle.workflowId).fetchHistory());
    const cli = execFileSync(
      requireTemporalBinary('cli'),
      ['workflow', 'show', '--workflow-id', handle.workflowId, '--address', env.address, '--output', 'json'],
      { encoding: 'utf8' },
    );
    expect(cli).toContain('encryption-key-id');
    expect(cli).not.toContain(phone);
    expect(cli).not.toContain(text);
    expect(plain).toContain(Buffer.from('binary/encrypted').toString('base64'));
    expect(plain).not.toContain(phone);
    expect(plain).not.toContain(text);

    // Rotate: key B is now current, A still listed.
    const workerB = await worker(`${KEY_B},${KEY_A}`);
    const clientB = new Client({ connection: env.connection, plugins: [plugin(`${KEY_B},${KEY_A}`)] });
    const result = await workerB.runUntil(async () => {
      sim.settle('smsbat', sim.messages('smsbat').find((m) => m.recipient === phone)!.messageId, 'delivered');
      return clientB.workflow.getHandle<typeof deliverMessage>(handle.workflowId).result();
    });
    expect(result.status).toBe('delivered');
    expect(sim.messages('smsbat').find((m) => m.recipient === phone)?.text).toBe(text);
  }, 60_000);
});
