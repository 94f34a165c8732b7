import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { type TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkerOptions } from '@temporalio/worker';
import { CascadeClient } from '../client';
import { loadConfig, type CascadeConfig } from '../config';
import { ProviderHealth } from '../health/health';
import { openHealthStore } from '../health/open';
import { MemoryLimitBackend } from '../limits/memory';
import { LimitStore } from '../limits/store';
import { openReceiptIndex } from '../receipts/open';
import { DEFAULT_LIMITS } from '../shared/limits';
import { type ReceiptIndex } from '../receipts/types';
import { WebhookReceiver } from '../webhooks/receiver';
import { smsbatWebhookUrl } from '../webhooks/urls';
import { bundleCascadeWorkflows } from '../worker/bundle';
import { CascadePlugin } from '../worker/plugin';
import { SIM_CREDENTIALS, startSimulator, type Simulator, type SimulatorOptions } from '../sim/server';
import { type SimMessage, type SimProvider, type SimRule } from '../sim/types';

/** A fixed OTP key for tests (never use it anywhere else). */
export const TEST_OTP_SECRET = 'temporal-cascade-test-otp-secret-0123456789';

/** Environment variables that point every provider at a simulator. */
export function simulatorEnv(sim: Simulator, extra: Record<string, string> = {}): Record<string, string> {
  return {
    SMSBAT_BASE_URL: sim.url,
    SMSBAT_API_KEY: SIM_CREDENTIALS.smsbat.apiKey,
    REACH_BASE_URL: sim.url,
    REACH_API_USER: SIM_CREDENTIALS.reach.apiUser,
    REACH_API_KEY: SIM_CREDENTIALS.reach.apiKey,
    ...(sim.smtpUrl ? { SMTP_URL: sim.smtpUrl, SMTP_FROM: 'noreply@cascade.test' } : {}),
    CASCADE_OTP_SECRET: TEST_OTP_SECRET,
    PROVIDER_TIMEOUT_MS: '5000',
    // Test environments' own clients read results in clear unless given the plugin.
    CASCADE_ENCRYPTION: 'off',
    ...extra,
  };
}

export interface TestbedOptions {
  /** A time-skipping or local environment (see createTimeSkippingEnvironment / createLocalEnvironment). */
  env: TestWorkflowEnvironment;
  /** Your workflows module; re-export `temporal-cascade/workflows` from it to run ours beside yours. */
  workflowsPath?: string;
  /** Your own activities, registered beside ours. */
  activities?: object;
  simulator?: SimulatorOptions;
  /** Extra configuration variables (CASCADE_PUBLIC_WEBHOOK_URL, …). */
  config?: Record<string, string>;
  worker?: Partial<WorkerOptions>;
}

/**
 * Everything a user's test needs to prove their own flows: the provider simulator in-process with
 * scripted outcomes, a worker with the plugin (and your workflows and activities) on its own task
 * queue, the typed client, and assertions over what each provider received.
 */
export class CascadeTestbed {
  private running?: Promise<void>;

  private constructor(
    readonly env: TestWorkflowEnvironment,
    readonly sim: Simulator,
    readonly config: CascadeConfig,
    readonly worker: Worker,
    readonly client: CascadeClient,
    readonly receiver: WebhookReceiver,
    private readonly receipts: ReceiptIndex,
    /**
     * Provider health as the worker and the receiver share it (`status()`, `force(key, 'open')`);
     * the worker ignores it under `CASCADE_PROVIDER_HEALTH=off`.
     */
    readonly health: ProviderHealth,
  ) {}

  static async start(options: TestbedOptions): Promise<CascadeTestbed> {
    // What started is stopped again when a later part fails, so a failed beforeAll leaves no
    // open handle that keeps jest from exiting.
    const started: (() => Promise<void>)[] = [];
    try {
      return await CascadeTestbed.open(options, started);
    } catch (err) {
      for (const stop of started.reverse()) await stop().catch(() => undefined);
      throw err;
    }
  }

  private static async open(options: TestbedOptions, started: (() => Promise<void>)[]): Promise<CascadeTestbed> {
    const sim = await startSimulator({ deliveryDelayMs: 0, ...options.simulator });
    started.push(() => sim.close());
    const taskQueue = `cascade-test-${randomUUID()}`;
    // The webhook receiver too, in-process: receipts arrive pushed, in milliseconds, as in
    // production. The index lives in memory: a user's test suite needs no native driver.
    const receipts = await openReceiptIndex('memory:');
    started.push(() => receipts.close());
    // Provider health in memory too, one for the worker's sends and the receiver's receipts, as a
    // deployment shares it: a worker that never heard of its receipts would take a healthy provider
    // for a silent one once ten sends went unanswered for 30 s.
    const health = new ProviderHealth(await openHealthStore('memory:'));
    started.push(() => health.close());
    const token = randomBytes(24).toString('hex');
    const receiver = new WebhookReceiver({
      client: options.env.client,
      publicUrl: 'http://127.0.0.1',
      smsbatToken: token,
      receipts,
      health,
      reachApiKey: SIM_CREDENTIALS.reach.apiKey,
    });
    await receiver.start(0);
    started.push(() => receiver.close());
    receiver.setPublicUrl(receiver.url);
    sim.setSmsbatWebhookUrl(smsbatWebhookUrl(receiver.url, token));
    const config = loadConfig({
      ...simulatorEnv(sim, {
        CASCADE_PUBLIC_WEBHOOK_URL: receiver.url,
        CASCADE_SMSBAT_WEBHOOK_TOKEN: token,
        ...options.config,
      }),
      TEMPORAL_TASK_QUEUE: taskQueue,
    });
    // Bundled here, quietly (the worker would print webpack's statistics).
    const workflowBundle = await bundleCascadeWorkflows({
      workflowsPath: options.workflowsPath,
      webpackConfigHook: resolveOwnPackage,
    });
    const worker = await Worker.create({
      connection: options.env.nativeConnection,
      namespace: options.env.namespace ?? 'default',
      taskQueue,
      // The limits count in memory, like the receipts: a test run leaves nothing behind.
      plugins: [
        new CascadePlugin({
          config,
          receiptIndex: receipts,
          health: config.providerHealth.enabled ? health : false,
          limitStore: new LimitStore(new MemoryLimitBackend(), DEFAULT_LIMITS),
        }),
      ],
      workflowBundle,
      ...(options.activities ? { activities: options.activities } : {}),
      ...options.worker,
    });
    const client = new CascadeClient({ client: options.env.client, taskQueue, otpSecret: config.otpSecret });
    const bed = new CascadeTestbed(options.env, sim, config, worker, client, receiver, receipts, health);
    bed.running = worker.run();
    return bed;
  }

  get taskQueue(): string {
    return this.worker.options.taskQueue;
  }

  /** Scripts what the simulated providers do for a recipient (see the simulator's README section). */
  script(rule: SimRule): void {
    this.sim.script(rule);
  }

  /** The provider refuses the message at once, or accepts it and later reports it undelivered. */
  failDelivery(provider: Exclude<SimProvider, 'email'>, recipient: string): void {
    this.sim.script({ provider, recipient, outcome: { kind: 'fail' } });
  }

  /** The provider never settles the message and sends no receipt (a step timeout follows). */
  withholdReceipts(provider: SimProvider, recipient: string): void {
    this.sim.script({ provider, recipient, outcome: { kind: 'pending' }, receipt: 'withhold' });
  }

  /** Delivers a withheld message now, sending its receipt (it reaches the flow by webhook, in milliseconds). */
  deliver(provider: Exclude<SimProvider, 'email'>, messageId: string): boolean {
    return this.sim.settle(provider, messageId, 'delivered');
  }

  /** What the providers accepted, oldest first, optionally for one provider and recipient. */
  sent(filter: { provider?: SimProvider; to?: string } = {}): SimMessage[] {
    this.assertEmailCapture(filter.provider, filter.to);
    return this.sim.messages(filter.provider).filter((m) => filter.to === undefined || m.recipient === filter.to);
  }

  /**
   * Asserts what a provider received: throws an error describing every message it did get when
   * the expectation fails. Returns the matching messages.
   */
  expectSent(expected: { provider: SimProvider; to: string; count?: number; text?: string | RegExp }): SimMessage[] {
    const all = this.sent({ provider: expected.provider, to: expected.to });
    const matching = all.filter((m) => textMatches(m.text, expected.text));
    const ok = expected.count === undefined ? matching.length > 0 : matching.length === expected.count;
    if (!ok) {
      const got = this.sent()
        .map((m) => `  ${m.provider} → ${m.recipient}: ${JSON.stringify(m.text)}`)
        .join('\n');
      throw new Error(
        `expected ${expected.count ?? 'at least 1'} ${expected.provider} message(s) to ${expected.to}` +
          `${expected.text ? ` matching ${String(expected.text)}` : ''}, found ${matching.length}.\nProviders received:\n${got || '  nothing'}`,
      );
    }
    return matching;
  }

  /** The OTP code a recipient received (read from the message text, as the user would). */
  async codeSentTo(recipient: string, options: { nth?: number; timeoutMs?: number } = {}): Promise<string> {
    const nth = options.nth ?? 1;
    const until = Date.now() + (options.timeoutMs ?? 10_000);
    this.assertEmailCapture(undefined, recipient);
    for (;;) {
      const messages = this.sent({ to: recipient });
      const code = messages[nth - 1]?.text?.match(/\b(\d{4,10})\b/)?.[1];
      if (code) return code;
      if (Date.now() > until) throw new Error(`no code reached ${recipient} (messages: ${messages.length})`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Asked about email without the email capture: say which package it needs. */
  private assertEmailCapture(provider?: SimProvider, to?: string): void {
    if (this.sim.emailUnavailable && (provider === 'email' || to?.includes('@'))) throw this.sim.emailUnavailable;
  }

  async close(): Promise<void> {
    this.worker.shutdown();
    try {
      await this.running;
    } finally {
      await this.receiver.close();
      await this.sim.close();
      await this.receipts.close();
      await this.health.close();
    }
  }
}

/**
 * Bundles your workflows with `temporal-cascade/*` resolved to this very installation, so your
 * workflows and the plugin's activities always speak the same version.
 */
function resolveOwnPackage<C extends { resolve?: { alias?: unknown } }>(config: C): C {
  const root = join(__dirname, '..');
  const alias = (config.resolve ??= {}).alias as Record<string, string> | undefined;
  config.resolve.alias = {
    ...alias,
    'temporal-cascade/workflows$': join(root, 'workflows'),
    'temporal-cascade/contract$': join(root, 'shared'),
  };
  return config;
}

function textMatches(text: string | undefined, expected: string | RegExp | undefined): boolean {
  if (expected === undefined) return true;
  if (text === undefined) return false;
  return typeof expected === 'string' ? text.includes(expected) : expected.test(text);
}
