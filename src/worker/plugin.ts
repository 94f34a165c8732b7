import { SimplePlugin } from '@temporalio/plugin';
import { type DataConverter } from '@temporalio/common';
import { type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from './activities';
import { dataConverterFor } from './codec/data-converter';
import { loadConfig, type CascadeConfig } from './config';
import { OtpCodes } from './otp/codes';
import { createProviderClients, type ProviderClients } from './providers';
import { reachCallbackUrl } from './webhooks/urls';

export interface CascadePluginOptions {
  /** Parsed configuration; `loadConfig()` (the environment) when absent. */
  config?: CascadeConfig;
  /** Provider clients to use instead of ones built from the config (tests, custom pools). */
  providers?: Partial<Omit<ProviderClients, 'close'>>;
  /** Data converter for client and worker (payload encryption). */
  dataConverter?: DataConverter;
}

/**
 * The Temporal plugin: adds temporal-cascade's activities and workflows to a user's
 * `Worker.create({ plugins })`, and its data converter to `new Client({ plugins })`.
 *
 * Workflows: with no `workflowsPath` of your own, the plugin's workflows are registered. If you
 * have your own workflows module, re-export ours from it (`export * from 'temporal-cascade/workflows'`)
 * so both are on the worker; with a prebuilt `workflowBundle`, build it from that module.
 */
export class CascadePlugin extends SimplePlugin {
  private readonly providers: ProviderClients;

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
      workflowsPath: (existing) => existing ?? require.resolve('./workflows'),
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
  }

  override configureWorker(options: WorkerOptions): WorkerOptions {
    const configured = super.configureWorker(options);
    // A prebuilt bundle already holds the workflows: a workflowsPath beside it is an error.
    return options.workflowBundle ? { ...configured, workflowsPath: undefined } : configured;
  }

  /** Closes the provider pools (when the worker was never run). */
  async close(): Promise<void> {
    await this.providers.close();
  }
}

export function createCascadePlugin(options: CascadePluginOptions = {}): CascadePlugin {
  return new CascadePlugin(options);
}
