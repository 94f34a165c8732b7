import { readFileSync } from 'node:fs';
import { DefaultLogger, NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { loadConfig, type CascadeConfig } from './config';
import { CascadePlugin, type CascadePluginOptions } from './plugin';

export interface CascadeWorkerOptions {
  config: CascadeConfig;
  /** Connection to use instead of one built from `config.temporal`. */
  connection?: NativeConnection;
  /** Prebuilt workflow bundle (production); the plugin's workflowsPath is bundled at start otherwise. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Extra worker options (tuning, interceptors, task queue override). */
  worker?: Partial<WorkerOptions>;
  plugin?: Omit<CascadePluginOptions, 'config'>;
}

/** config → plugin (provider clients, activities, workflows) → Worker. The caller runs it. */
export async function createCascadeWorker(
  options: CascadeWorkerOptions,
): Promise<{ worker: Worker; close(): Promise<void> }> {
  const { config } = options;
  const { temporal } = config;
  const connection =
    options.connection ?? (await NativeConnection.connect({ address: temporal.address, ...connectionAuth(config) }));
  const plugin = new CascadePlugin({ config, ...options.plugin });
  const worker = await Worker.create({
    connection,
    namespace: temporal.namespace,
    taskQueue: temporal.taskQueue,
    plugins: [plugin],
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : {}),
    ...(config.worker.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: config.worker.maxCachedWorkflows } : {}),
    ...options.worker,
  });
  return {
    worker,
    async close() {
      await plugin.close();
      if (!options.connection) await connection.close();
    },
  };
}

/** TLS (mTLS client certificate) or API key for a remote cluster such as Temporal Cloud. */
export function connectionAuth(config: CascadeConfig): {
  tls?: { clientCertPair: { crt: Buffer; key: Buffer } } | boolean;
  apiKey?: string;
} {
  const { tls, apiKey } = config.temporal;
  if (tls) return { tls: { clientCertPair: { crt: readFileSync(tls.certPath), key: readFileSync(tls.keyPath) } } };
  if (apiKey) return { tls: true, apiKey };
  return {};
}

async function main(): Promise<void> {
  const config = loadConfig();
  const { metricsAddress, workflowBundle } = config.worker;
  Runtime.install({
    logger: new DefaultLogger('INFO'),
    ...(metricsAddress ? { telemetryOptions: { metrics: { prometheus: { bindAddress: metricsAddress } } } } : {}),
  });
  const { worker, close } = await createCascadeWorker({
    config,
    workflowBundle: workflowBundle ? { codePath: workflowBundle } : undefined,
  });
  if (metricsAddress) console.log(`Prometheus metrics on http://${metricsAddress}/metrics`);
  console.log(`temporal-cascade worker on task queue "${worker.options.taskQueue}" at ${config.temporal.address}`);
  try {
    await worker.run(); // returns after SIGINT/SIGTERM, once in-flight tasks have finished
  } finally {
    await close();
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
