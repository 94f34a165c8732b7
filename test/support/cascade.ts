import { randomUUID } from 'node:crypto';
import { type TestWorkflowEnvironment } from '@temporalio/testing';
import { type Worker } from '@temporalio/worker';
import { loadConfig, type CascadeConfig } from '../../src/config';
import { openReceiptIndex } from '../../src/receipts/open';
import { type ReceiptIndex } from '../../src/receipts/types';
import { MemoryLimitBackend } from '../../src/limits/memory';
import { LimitStore } from '../../src/limits/store';
import { DEFAULT_LIMITS, type LimitPolicy } from '../../src/shared/limits';
import { freePort } from '../../src/testing/dev-server';
import { createLocalEnvironment } from '../../src/testing/environment';
import { WebhookReceiver } from '../../src/webhooks/receiver';
import { smsbatWebhookUrl } from '../../src/webhooks/urls';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/sim/server';
import { simulatorEnv } from '../../src/testing/testbed';
import { createCascadeWorker } from '../../src/worker/create-worker';

export { TEST_OTP_SECRET, simulatorEnv as simEnv } from '../../src/testing/testbed';

export interface Harness {
  sim: Simulator;
  config: CascadeConfig;
  worker: Worker;
  taskQueue: string;
  /** The receipt index the worker writes (in memory); give it to a WebhookReceiver. */
  receipts: ReceiptIndex;
  /** The receiver, when the harness was asked to run one. */
  receiver?: WebhookReceiver;
  /** Where the worker's limits count (in memory, one per harness; the policy the worker enforces). */
  limitStore: LimitStore;
  close(): Promise<void>;
}

/**
 * The simulator on a random port and a worker of the real product wiring (createCascadeWorker)
 * on the test environment, with its own task queue.
 */
export async function startHarness(
  env: TestWorkflowEnvironment,
  options: {
    sim?: SimulatorOptions;
    env?: Record<string, string>;
    limits?: LimitPolicy | false;
    /** The limit store (default: in memory, with `limits` or DEFAULT_LIMITS). */
    limitStore?: LimitStore;
    /** Run the webhook receiver too (SMSBAT webhooks and Reach callbacks pushed to it). */
    receiver?: boolean;
  } = {},
): Promise<Harness> {
  const sim = await startSimulator({ deliveryDelayMs: 0, ...options.sim });
  const taskQueue = `test-${randomUUID()}`;
  const receiverPort = options.receiver ? await freePort() : undefined;
  const publicUrl = receiverPort ? `http://127.0.0.1:${receiverPort}` : undefined;
  const receiverEnv: Record<string, string> = publicUrl
    ? { CASCADE_PUBLIC_WEBHOOK_URL: publicUrl, CASCADE_SMSBAT_WEBHOOK_TOKEN: HARNESS_WEBHOOK_TOKEN }
    : {};
  const config = loadConfig({
    ...simulatorEnv(sim, { ...receiverEnv, ...options.env }),
    TEMPORAL_TASK_QUEUE: taskQueue,
  });
  const codePath = process.env.TEMPORAL_CASCADE_TEST_BUNDLE;
  // Receipts are pushed only where the test runs a receiver (it gets this index).
  const receipts = await openReceiptIndex('sqlite::memory:');
  const pushed = Boolean(config.webhooks.publicUrl && config.webhooks.smsbatToken);
  const receiver = publicUrl
    ? await new WebhookReceiver({
        client: env.client,
        publicUrl,
        smsbatToken: HARNESS_WEBHOOK_TOKEN,
        receipts,
        reachApiKey: config.reach!.apiKey,
        ...(config.smsbat?.currency ? { smsbatCurrency: config.smsbat.currency } : {}),
      }).start(receiverPort)
    : undefined;
  if (publicUrl) sim.setSmsbatWebhookUrl(smsbatWebhookUrl(publicUrl, HARNESS_WEBHOOK_TOKEN));
  const limitStore = options.limitStore ?? new LimitStore(new MemoryLimitBackend(), options.limits || DEFAULT_LIMITS);
  const { worker, close } = await createCascadeWorker({
    config,
    plugin: {
      limitStore,
      ...(pushed ? { receiptIndex: receipts } : {}),
      ...(options.limits !== undefined ? { limits: options.limits } : {}),
    },
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
    receipts,
    receiver,
    limitStore,
    async close() {
      worker.shutdown();
      await running;
      await close();
      await receiver?.close();
      await sim.close();
      await receipts.close();
    },
  };
}

/** The SMSBAT webhook token of harnesses that run a receiver. */
export const HARNESS_WEBHOOK_TOKEN = 'harness-webhook-token-9f8e7d6c5b4a';

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
