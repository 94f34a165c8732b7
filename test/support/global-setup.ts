import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDevServer, type RunningDevServer } from '../../src/testing/dev-server';
import { SHARED_DEV_SERVER_ENV } from '../../src/testing/environment';

/**
 * One dev server and one workflow bundle for the whole run: starting a server or bundling per
 * test file would cost more than most of the tests themselves on two cores.
 */
export default async function globalSetup(): Promise<void> {
  const server = await startDevServer();
  (globalThis as { __devServer?: RunningDevServer }).__devServer = server;
  process.env[SHARED_DEV_SERVER_ENV] = server.address;

  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('./test-workflows'),
    logger: new DefaultLogger('WARN'),
  });
  const dir = join(__dirname, '..', '..', 'test-artifacts');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'workflow-bundle.js');
  writeFileSync(path, code);
  process.env.TEMPORAL_CASCADE_TEST_BUNDLE = path;
}
