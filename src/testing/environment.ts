import { TestWorkflowEnvironment } from '@temporalio/testing';
import { type ClientPlugin } from '@temporalio/client';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { SEARCH_ATTRIBUTES } from '../shared/search-attributes';
import { resolveTemporalBinary, serverExecutable, TemporalBinaryError } from './temporal-binaries';

/** Address of a dev server shared by a whole test run (set by the project's jest global setup). */
export const SHARED_DEV_SERVER_ENV = 'TEMPORAL_CASCADE_TEST_ADDRESS';

export interface TestEnvironmentOptions {
  plugins?: ClientPlugin[];
}

/**
 * The time-skipping test server over the provisioned binary: timers of days pass in milliseconds
 * while a test awaits `handle.result()` (or `env.sleep()`).
 */
export async function createTimeSkippingEnvironment(options: TestEnvironmentOptions = {}) {
  const executable = serverExecutable('test-server');
  let env: TestWorkflowEnvironment;
  try {
    env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable }, plugins: options.plugins });
  } catch (err) {
    throw explain('test-server', executable.type, err);
  }
  // The test server knows no custom search attributes until they are registered.
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(
      SEARCH_ATTRIBUTES.map((k) => [k.name, encodeSearchAttributeIndexedValueType(k.type)!]),
    ),
  });
  return env;
}

/**
 * A real dev server (updates, visibility, search attributes): the run's shared one when the jest
 * global setup started it, else a fresh one over the provisioned binary.
 */
export async function createLocalEnvironment(options: TestEnvironmentOptions = {}) {
  const shared = process.env[SHARED_DEV_SERVER_ENV];
  if (shared) return TestWorkflowEnvironment.createFromExistingServer({ address: shared, plugins: options.plugins });
  const executable = serverExecutable('cli');
  try {
    return await TestWorkflowEnvironment.createLocal({
      server: {
        executable,
        searchAttributes: SEARCH_ATTRIBUTES,
        extraArgs: ['--dynamic-config-value', 'frontend.enableExecuteMultiOperation=true'],
      },
      plugins: options.plugins,
    });
  } catch (err) {
    throw explain('cli', executable.type, err);
  }
}

function explain(binary: 'cli' | 'test-server', type: string, err: unknown): Error {
  if (type !== 'cached-download') return err as Error;
  const { attempts } = resolveTemporalBinary(binary, { install: false });
  return new TemporalBinaryError(binary, [...attempts, `the SDK's own download: ${(err as Error).message}`]);
}
