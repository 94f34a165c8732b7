import { randomUUID } from 'node:crypto';
import { type TestWorkflowEnvironment } from '@temporalio/testing';
import { type Worker } from '@temporalio/worker';
import { loadConfig, type CascadeConfig } from '../../src/config';
import { createLocalEnvironment } from '../../src/testing/environment';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/sim/server';
import { simulatorEnv } from '../../src/testing/testbed';
import { createCascadeWorker } from '../../src/worker/create-worker';

export { TEST_OTP_SECRET, simulatorEnv as simEnv } from '../../src/testing/testbed';

export interface Harness {
  sim: Simulator;
  config: CascadeConfig;
  worker: Worker;
  taskQueue: string;
  close(): Promise<void>;
}

/**
 * The simulator on a random port and a worker of the real product wiring (createCascadeWorker)
 * on the test environment, with its own task queue.
 */
export async function startHarness(
  env: TestWorkflowEnvironment,
  options: { sim?: SimulatorOptions; env?: Record<string, string> } = {},
): Promise<Harness> {
  const sim = await startSimulator({ deliveryDelayMs: 0, ...options.sim });
  const taskQueue = `test-${randomUUID()}`;
  const config = loadConfig({ ...simulatorEnv(sim, options.env), TEMPORAL_TASK_QUEUE: taskQueue });
  const codePath = process.env.TEMPORAL_CASCADE_TEST_BUNDLE;
  const { worker, close } = await createCascadeWorker({
    config,
    connection: env.nativeConnection,
    workflowBundle: codePath ? { codePath } : undefined,
    worker: {
      taskQueue,
      namespace: env.namespace ?? 'default',
      ...(codePath ? {} : { workflowsPath: require.resolve('./test-workflows') }),
    },
  });
  // One worker for the whole file: it runs until close().
  const running = worker.run();
  return {
    sim,
    config,
    worker,
    taskQueue,
    async close() {
      worker.shutdown();
      await running;
      await close();
      await sim.close();
    },
  };
}

let seq = 0;
/** A phone number unique within the run whose built-in simulator outcome is "delivered". */
export function uniquePhone(): string {
  // Endings 101–398: never one of the simulator's special numbers (…400, …997–999).
  seq = (seq + 1) % 298;
  return `+38050${String(Date.now() % 10000).padStart(4, '0')}${101 + seq}`;
}

export function uniqueId(prefix: string): string {
  return `${prefix}-${randomUUID()}`;
}

/**
 * The usual file setup: a local (dev-server) environment and a harness on it, both closed after
 * the file. Read `t.env` and `t.h` inside tests (they are set in beforeAll).
 */
export function useLocalHarness(options: Parameters<typeof startHarness>[1] = {}): {
  env: TestWorkflowEnvironment;
  h: Harness;
} {
  const t = {} as { env: TestWorkflowEnvironment; h: Harness };
  beforeAll(async () => {
    t.env = await createLocalEnvironment();
    t.h = await startHarness(t.env, options);
  });
  afterAll(async () => {
    await t.h?.close();
    await t.env?.teardown();
  });
  return t;
}
