// The app's worker: temporal-cascade's plugin on the app's task queue, configured from an
// environment, with a prebuilt workflow bundle (as production workers load it).
import { createCascadeWorker, loadConfig, type CascadeConfig } from 'temporal-cascade/worker';
import { type Worker } from '@temporalio/worker';

export async function createAppWorker(
  env: Record<string, string | undefined>,
  workflowBundlePath: string,
): Promise<{ worker: Worker; config: CascadeConfig; close(): Promise<void> }> {
  const config = loadConfig(env);
  const { worker, close } = await createCascadeWorker({ config, workflowBundle: { codePath: workflowBundlePath } });
  return { worker, config, close };
}
