import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { type CascadeConfig } from '../config';
import { connectionAuth } from '../temporal-connection';
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
  let worker: Worker;
  try {
    worker = await Worker.create({
      connection,
      namespace: temporal.namespace,
      taskQueue: temporal.taskQueue,
      plugins: [plugin],
      ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : {}),
      ...(config.worker.maxCachedWorkflows !== undefined
        ? { maxCachedWorkflows: config.worker.maxCachedWorkflows }
        : {}),
      ...options.worker,
    });
  } catch (err) {
    await plugin.close();
    if (!options.connection) await connection.close();
    throw err;
  }
  return {
    worker,
    async close() {
      await plugin.close();
      if (!options.connection) await connection.close();
    },
  };
}
