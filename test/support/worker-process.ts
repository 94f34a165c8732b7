/**
 * A worker in its own process, so a test can SIGKILL it mid-flow. Configured from the
 * environment exactly as `npm run worker` is, plus the test run's prebuilt workflow bundle.
 */
import { loadConfig } from '../../src/config';
import { createCascadeWorker } from '../../src/worker/create-worker';

async function main(): Promise<void> {
  const codePath = process.env.TEMPORAL_CASCADE_TEST_BUNDLE;
  const { worker } = await createCascadeWorker({
    config: loadConfig(),
    workflowBundle: codePath ? { codePath } : undefined,
    worker: codePath ? {} : { workflowsPath: require.resolve('./test-workflows') },
  });
  console.log('worker ready');
  await worker.run();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
