import './peers';
import { setTimeout as delay } from 'node:timers/promises';
import { SimplePlugin } from '@temporalio/plugin';
import { type DataConverter } from '@temporalio/common';
import { type ClientOptions } from '@temporalio/client';
import { type ReplayWorkerOptions, type Worker, type WorkerOptions } from '@temporalio/worker';
import { addActivities, createActivities, type ActivityDeps } from '../activities';
import { createChannels } from '../channels';
import { dataConverterFor, guestDataConverter, type GuestConverterOptions } from '../codec/data-converter';
import { loadConfig, type CascadeConfig } from '../config';
import { ProviderHealth } from '../health/health';
import { lazyHealthStore, openHealthStore } from '../health/open';
import { type HealthPolicy } from '../health/policy';
import { OtpCodes } from '../otp/codes';
import { openLimitStore, sharedLimitStoreUrl } from '../limits/open';
import { type LimitStore } from '../limits/store';
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
  /**
   * Our data converter (payload encryption) instead of the one CASCADE_ENCRYPTION_KEYS gives. It is
   * added only where the worker's or client's own data converter has no payload codec: the host's
   * codec, payload converter and failure converter are never replaced (see guestDataConverter).
   */
  dataConverter?: DataConverter;
  /** Encrypt with our key even on top of the host's own codec (default false: the host's codec covers ours). */
  encryptBesideHostCodec?: boolean;
  /**
   * The receipt index the receiver reads (yours is not closed by the plugin); opened from
   * CASCADE_RECEIPT_INDEX when absent and the receiver is configured (CASCADE_PUBLIC_WEBHOOK_URL and
   * CASCADE_SMSBAT_WEBHOOK_TOKEN). Without a receiver, SMSBAT receipts arrive by polling.
   */
  receiptIndex?: ReceiptIndex;
  /**
   * Shared provider health (yours is not closed by the plugin), or false for none. Default (unless
   * CASCADE_PROVIDER_HEALTH=off): in the receipt index's database when CASCADE_RECEIPT_INDEX is set
   * or the receiver is configured, else in this process's memory (this worker learns on its own).
   */
  health?: ProviderHealth | false;
  /** Thresholds of the health the plugin opens (see DEFAULT_HEALTH_POLICY). */
  healthPolicy?: Partial<HealthPolicy>;
  /** Abuse limits `otpVerification` applies itself (default DEFAULT_LIMITS unless CASCADE_OTP_LIMITS=off). */
  limits?: LimitPolicy | false;
  /**
   * Where the limits count (yours is not closed by the plugin); opened on first use from
   * CASCADE_RECEIPT_INDEX (the receipt index's database, tables of its own) when absent. Its
   * policy is the store's own: give the store the policy you want enforced.
   */
  limitStore?: LimitStore;
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
  // Declared here too: an app without @temporalio/plugin then gets our error naming it, at run
  // time, instead of "Property 'name' is missing in type 'CascadePlugin'" from its type check.
  declare readonly name: string;
  private readonly closeResources: () => Promise<void>;
  private readonly checkNamespace: boolean;
  /** The provider health this plugin's sends use (its `metrics()` for a metrics endpoint), if any. */
  readonly health?: ProviderHealth;
  private readonly converter: GuestConverterOptions;

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
    const health = options.health === undefined ? defaultHealth(config, options) : options.health || undefined;
    const limits = options.limits ?? (config.otpLimits ? DEFAULT_LIMITS : false);
    const limitStore: ((() => Promise<LimitStore>) & { opened?: boolean }) | undefined = options.limitStore
      ? () => Promise.resolve(options.limitStore!)
      : limits
        ? once(() => openLimitStore(limitStoreUrl(config), limits), { retryFailed: true })
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
      health,
      limits: options.limitStore && limits ? options.limitStore.policy : limits,
      limitStore,
      bulkDirs: config.bulkDirs,
    };
    const close = async () => {
      await providers.close();
      // An index the plugin opened is the plugin's to close.
      if (receipts && !options.receiptIndex && receipts.opened) await (await receipts()).close();
      if (health && !options.health) await health.close();
      if (limitStore && !options.limitStore && limitStore.opened) {
        await (await limitStore().catch(() => undefined))?.close();
      }
    };
    super({
      name: 'temporal-cascade',
      // Added beside the host's activities, never over them (see addActivities).
      activities: (host: object | undefined) => addActivities(host, createActivities(deps)),
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
    this.health = health;
    this.checkNamespace = options.checkNamespace ?? true;
    this.converter = {
      ours: options.dataConverter ?? dataConverterFor(config),
      ...(options.dataConverter ? {} : { ring: config.encryption }),
      encryptBesideHostCodec: options.encryptBesideHostCodec ?? false,
    };
  }

  override configureWorker(options: WorkerOptions): WorkerOptions {
    return withCascadeWorkflows(this.withDataConverter(super.configureWorker(options)));
  }

  override configureReplayWorker(options: ReplayWorkerOptions): ReplayWorkerOptions {
    return withCascadeWorkflows(this.withDataConverter(super.configureReplayWorker(options)));
  }

  override configureClient(options: Omit<ClientOptions, 'plugins'>): Omit<ClientOptions, 'plugins'> {
    return this.withDataConverter(super.configureClient(options));
  }

  /** The host's data converter with ours composed in, never replaced (SimplePlugin would spread ours over it). */
  private withDataConverter<O extends { dataConverter?: DataConverter }>(options: O): O {
    const dataConverter = guestDataConverter(options.dataConverter, this.converter);
    return dataConverter ? { ...options, dataConverter } : options;
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

/**
 * Health where the receipt index is, when there is one to share (an explicit CASCADE_RECEIPT_INDEX,
 * or the receiver's); otherwise, and with an index handed in (tests), in this process's memory.
 */
function defaultHealth(config: CascadeConfig, options: CascadePluginOptions): ProviderHealth | undefined {
  if (!config.providerHealth.enabled) return undefined;
  const { publicUrl, smsbatToken, receiptIndex } = config.webhooks;
  const shared = !options.receiptIndex && (config.providerHealth.shared || Boolean(publicUrl && smsbatToken));
  return new ProviderHealth(
    lazyHealthStore(() => openHealthStore(shared ? receiptIndex : 'memory:')),
    {
      policy: options.healthPolicy,
      // In this process's memory no receiver's receipts arrive: the silent rule has nothing to go on.
      hearsReceipts: shared,
    },
  );
}

/** A memoised async opener that remembers whether it ran (and, if asked, forgets a failed open). */
function once<T>(
  open: () => Promise<T>,
  options: { retryFailed?: boolean } = {},
): (() => Promise<T>) & { opened: boolean } {
  let value: Promise<T> | undefined;
  const fn = Object.assign(
    () => {
      fn.opened = true;
      if (!value) {
        value = open();
        // A store that could not be opened (a database down at start) is opened again next time.
        if (options.retryFailed) value.catch(() => (value = undefined));
      }
      return value;
    },
    { opened: false },
  );
  return fn;
}

export function createCascadePlugin(options: CascadePluginOptions = {}): CascadePlugin {
  return new CascadePlugin(options);
}

/**
 * Where the limits count when no store is handed in (see sharedLimitStoreUrl); without a database
 * to share, this process's memory — a worker with no database configured (and no SQLite driver
 * installed) still admits OTP flows, counting on its own.
 */
function limitStoreUrl(config: CascadeConfig): string {
  return sharedLimitStoreUrl(config) ?? 'memory:';
}
