import { readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from './activities';
import { loadConfig, type CascadeConfig } from './config';
import { OtpCodes } from './otp/codes';
import { createProviderClients } from './providers';
import { ReceiptRoutes } from './routing/receipt-routes';
import { reachCallbackUrl } from './webhooks/urls';

export interface CascadeWorkerOptions {
  config: CascadeConfig;
  /** Connection to use instead of one built from `config.temporal`. */
  connection?: NativeConnection;
  /** Client for receipt routing; built from `config.temporal` when absent. */
  client?: Client;
  /** Prebuilt workflow bundle (production); `workflowsPath` bundling at start otherwise. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Extra worker options (tuning, interceptors, task queue override). */
  worker?: Partial<WorkerOptions>;
}

/** config → provider clients → activities → Worker. The caller runs it (`worker.run()`). */
export async function createCascadeWorker(options: CascadeWorkerOptions): Promise<{ worker: Worker; close(): Promise<void> }> {
  const { config } = options;
  const { temporal } = config;
  const connection = options.connection ?? (await NativeConnection.connect({ address: temporal.address, ...connectionAuth(config) }));
  const client =
    options.client ??
    new Client({
      connection: await Connection.connect({ address: temporal.address, ...connectionAuth(config) }),
      namespace: temporal.namespace,
    });
  const providers = createProviderClients(config);
  const taskQueue = options.worker?.taskQueue ?? temporal.taskQueue;
  const publicUrl = config.webhooks.publicUrl;
  const activities = createActivities({
    smsbat: providers.smsbat,
    reach: providers.reach,
    email: providers.email,
    otp: config.otpSecret ? new OtpCodes(config.otpSecret) : undefined,
    receiptRoutes: publicUrl ? new ReceiptRoutes(client, taskQueue) : undefined,
    reachCallbackUrl: publicUrl ? (workflowId) => reachCallbackUrl(publicUrl, workflowId) : undefined,
  });
  const worker = await Worker.create({
    connection,
    namespace: temporal.namespace,
    taskQueue,
    activities,
    ...(options.workflowBundle
      ? { workflowBundle: options.workflowBundle }
      : { workflowsPath: require.resolve('./workflows') }),
    ...options.worker,
  });
  return {
    worker,
    async close() {
      await providers.close();
      if (!options.client) await client.connection.close();
      if (!options.connection) await connection.close();
    },
  };
}

/** TLS (mTLS client certificate) or API key for a remote cluster such as Temporal Cloud. */
export function connectionAuth(config: CascadeConfig): { tls?: { clientCertPair: { crt: Buffer; key: Buffer } } | boolean; apiKey?: string } {
  const { tls, apiKey } = config.temporal;
  if (tls) return { tls: { clientCertPair: { crt: readFileSync(tls.certPath), key: readFileSync(tls.keyPath) } } };
  if (apiKey) return { tls: true, apiKey };
  return {};
}

async function main(): Promise<void> {
  const config = loadConfig();
  const { worker, close } = await createCascadeWorker({ config });
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
