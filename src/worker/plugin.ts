import { setTimeout as delay } from 'node:timers/promises';
import { SimplePlugin } from '@temporalio/plugin';
import { type DataConverter } from '@temporalio/common';
import { type ReplayWorkerOptions, type Worker, type WorkerOptions } from '@temporalio/worker';
import { addActivities, createActivities, type ActivityDeps } from '../activities';
import { createChannels } from '../channels';
import { dataConverterFor } from '../codec/data-converter';
import { loadConfig, type CascadeConfig } from '../config';
import { OtpCodes } from '../otp/codes';
import { openReceiptIndex } from '../receipts/open';
import { type ReceiptIndex } from '../receipts/types';
import { DEFAULT_LIMITS, type LimitPolicy } from '../shared/limits';
import { createProviderClients, type ProviderClients } from '../providers';
import { assertSearchAttributes } from '../setup/search-attributes';
import { reachCallbackUrl } from '../webhooks/urls';
import { withCascadeWorkflows } from './workflows-entry';

export interface CascadePluginOptions {
  /** Parsed configuration; `loadConfig()` (the environment) when absent. */
  config?: CascadeConfig;
  /** Provider clients to use instead of ones built from the config (tests, custom pools). */
  providers?: Partial<Omit<ProviderClients, 'close'>>;
  /** Data converter for client and worker (payload encryption). */
  dataConverter?: DataConverter;
  /**
   * The receipt index the receiver reads (yours is not closed by the plugin); opened from
   * CASCADE_RECEIPT_INDEX when absent and the receiver is configured (CASCADE_PUBLIC_WEBHOOK_URL and
   * CASCADE_SMSBAT_WEBHOOK_TOKEN). Without a receiver, SMSBAT receipts arrive by polling.
   */
  receiptIndex?: ReceiptIndex;
  /** Abuse limits `otpVerification` applies itself (default DEFAULT_LIMITS unless CASCADE_OTP_LIMITS=off). */
  limits?: LimitPolicy | false;
  /**
   * Check at start that the namespace has the search attributes the workflows set (default true);
   * without them every flow would fail its first workflow task.
   */
  checkNamespace?: boolean;
}

/**
 * The Temporal plugin: adds temporal-cascade's activities and workflows to a user's
 * `Worker.create({ plugins })`, and its data converter to `new Client({ plugins })`.
 *
 * Workflows: with no `workflowsPath` of your own, the plugin's workflows are registered; with
 * yours, both are bundled together (you need not re-export ours); a prebuilt `workflowBundle` must
 * have been built with them (`temporal-cascade bundle`), or Worker.create says so.
 */
export class CascadePlugin extends SimplePlugin {
  private readonly closeResources: () => Promise<void>;
  private readonly checkNamespace: boolean;

  constructor(options: CascadePluginOptions = {}) {
    const config = options.config ?? loadConfig();
    const built = createProviderClients(config);
    const providers: ProviderClients = { ...built, ...options.providers, close: built.close };
    const { publicUrl, smsbatToken } = config.webhooks;
    const reachKey = config.reach?.apiKey;
    const receipts: ((() => Promise<ReceiptIndex>) & { opened?: boolean }) | undefined = options.receiptIndex
      ? () => Promise.resolve(options.receiptIndex!)
      : publicUrl && smsbatToken
        ? once(() => openReceiptIndex(config.webhooks.receiptIndex))
        : undefined;
    const deps: ActivityDeps = {
      channels: createChannels(providers, {
        reachCallbackUrl:
          publicUrl && reachKey
            ? (workflowId, slot) => reachCallbackUrl(publicUrl, reachKey, workflowId, slot)
            : undefined,
      }),
      otp: config.otpSecret ? new OtpCodes(config.otpSecret) : undefined,
      otpSecret: config.otpSecret,
      receipts,
      limits: options.limits ?? (config.otpLimits ? DEFAULT_LIMITS : false),
      bulkDirs: config.bulkDirs,
    };
    const close = async () => {
      await providers.close();
      // An index the plugin opened is the plugin's to close.
      if (receipts && !options.receiptIndex && receipts.opened) await (await receipts()).close();
    };
    super({
      name: 'temporal-cascade',
      // Added beside the host's activities, never over them (see addActivities).
      activities: (host: object | undefined) => addActivities(host, createActivities(deps)),
      dataConverter: options.dataConverter ?? dataConverterFor(config),
      // Provider pools and the receipt index live as long as the worker that uses them.
      runContext: async (next) => {
        try {
          await next();
        } finally {
          await close();
        }
      },
    });
    this.closeResources = close;
    this.checkNamespace = options.checkNamespace ?? true;
  }

  override configureWorker(options: WorkerOptions): WorkerOptions {
    return withCascadeWorkflows(super.configureWorker(options));
  }

  override configureReplayWorker(options: ReplayWorkerOptions): ReplayWorkerOptions {
    return withCascadeWorkflows(super.configureReplayWorker(options));
  }

  override async runWorker(worker: Worker, next: (w: Worker) => Promise<void>): Promise<void> {
    if (this.checkNamespace && worker.connection) {
      try {
        await assertSearchAttributes(worker.connection, worker.options.namespace);
      } catch (err) {
        // A Worker holds its connection until it has run: run it and stop it at once (which
        // closes our resources too), so the caller can close the connection and sees this error,
        // not "Workers hold a reference to it".
        const stopped = super.runWorker(worker, next).catch(() => undefined);
        // Another plugin's runWorker may start it a moment later than synchronously.
        for (let i = 0; i < 100 && worker.getState() === 'INITIALIZED'; i++) await delay(10);
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await Promise.race([stopped, delay(10_000, undefined, { ref: false })]);
        throw err;
      }
    }
    return super.runWorker(worker, next);
  }

  /** Closes the provider pools and the receipt index it opened (when the worker was never run). */
  async close(): Promise<void> {
    await this.closeResources();
  }
}

/** A memoised async opener that remembers whether it ran. */
function once<T>(open: () => Promise<T>): (() => Promise<T>) & { opened: boolean } {
  let value: Promise<T> | undefined;
  const fn = Object.assign(
    () => {
      fn.opened = true;
      return (value ??= open());
    },
    { opened: false },
  );
  return fn;
}

export function createCascadePlugin(options: CascadePluginOptions = {}): CascadePlugin {
  return new CascadePlugin(options);
}
