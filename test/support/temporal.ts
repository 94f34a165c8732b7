import { Worker, type WorkerOptions } from '@temporalio/worker';
import { type TestWorkflowEnvironment } from '@temporalio/testing';
import { randomUUID } from 'node:crypto';

/** A worker on the environment with the run's prebuilt workflow bundle and its own task queue. */
export async function createTestWorker(
  env: TestWorkflowEnvironment,
  options: Partial<WorkerOptions> = {},
): Promise<Worker> {
  const codePath = process.env.TEMPORAL_CASCADE_TEST_BUNDLE;
  return Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue: options.taskQueue ?? `test-${randomUUID()}`,
    ...(codePath ? { workflowBundle: { codePath } } : { workflowsPath: require.resolve('./test-workflows') }),
    ...options,
  });
}
