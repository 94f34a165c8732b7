#!/usr/bin/env node
/** `temporal-cascade-worker` (`npm run worker`): a worker configured from the environment. */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { loadConfig } from '../config';
import { CASCADE_HISTOGRAM_BUCKETS } from '../metrics/catalog';
import { createCascadeWorker } from '../worker/create-worker';
import { runMain } from './main';

runMain(async () => {
  const config = loadConfig();
  const { metricsAddress, workflowBundle } = config.worker;
  Runtime.install({
    logger: new DefaultLogger('INFO'),
    // The SDK drains in-flight tasks on these, then worker.run() returns.
    shutdownSignals: ['SIGINT', 'SIGTERM'],
    ...(metricsAddress
      ? {
          telemetryOptions: {
            metrics: {
              prometheus: { bindAddress: metricsAddress, histogramBucketOverrides: CASCADE_HISTOGRAM_BUCKETS },
            },
          },
        }
      : {}),
  });
  const { worker, close } = await createCascadeWorker({
    config,
    workflowBundle: workflowBundle ? { codePath: workflowBundle } : undefined,
  });
  if (metricsAddress) console.log(`Prometheus metrics on http://${metricsAddress}/metrics`);
  console.log(`temporal-cascade worker on task queue "${worker.options.taskQueue}" at ${config.temporal.address}`);
  try {
    await worker.run();
  } finally {
    await close();
  }
  console.log('worker stopped');
});
