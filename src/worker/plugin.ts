import { SimplePlugin } from '@temporalio/plugin';
import { type DataConverter } from '@temporalio/common';
import { type ReplayWorkerOptions, type Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import { dataConverterFor } from '../codec/data-converter';
import { loadConfig, type CascadeConfig } from '../config';
import { OtpCodes } from '../otp/codes';
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
  private readonly providers: ProviderClients;
  private readonly checkNamespace: boolean;

  constructor(options: CascadePluginOptions = {}) {
    const config = options.config ?? loadConfig();
    const built = createProviderClients(config);
    const providers: ProviderClients = { ...built, ...options.providers, close: built.close };
    const publicUrl = config.webhooks.publicUrl;
    const deps: ActivityDeps = {
      smsbat: providers.smsbat,
      reach: providers.reach,
      email: providers.email,
      otp: config.otpSecret ? new OtpCodes(config.otpSecret) : undefined,
      receiptRouting: Boolean(publicUrl && config.webhooks.smsbatToken),
      reachCallbackUrl: publicUrl ? (workflowId) => reachCallbackUrl(publicUrl, workflowId) : undefined,
    };
    super({
      name: 'temporal-cascade',
      activities: createActivities(deps),
      dataConverter: options.dataConverter ?? dataConverterFor(config),
      // Provider pools live as long as the worker that uses them.
      runContext: async (next) => {
        try {
          await next();
        } finally {
          await providers.close();
        }
      },
    });
    this.providers = providers;
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
        await this.providers.close();
        throw err;
      }
    }
    return super.runWorker(worker, next);
  }

  /** Closes the provider pools (when the worker was never run). */
  async close(): Promise<void> {
    await this.providers.close();
  }
}

export function createCascadePlugin(options: CascadePluginOptions = {}): CascadePlugin {
  return new CascadePlugin(options);
}
