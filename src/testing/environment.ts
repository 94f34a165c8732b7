import { TestWorkflowEnvironment } from '@temporalio/testing';
import { type ClientPlugin } from '@temporalio/client';
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
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
  installQuietRuntime();
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
  installQuietRuntime();
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

/** Where the testing kit's Temporal logging level comes from (TRACE, DEBUG, INFO, WARN, ERROR). */
export const LOG_LEVEL_ENV = 'TEMPORAL_CASCADE_LOG_LEVEL';

const LOG_LEVELS: readonly LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

/**
 * The testing kit is quiet by default: a user's test output shows their tests, not Temporal's
 * warnings. Unless a Runtime is installed already, installs one whose logger and Core's log filter
 * are at TEMPORAL_CASCADE_LOG_LEVEL (default ERROR); Core's logs are forwarded to that logger, as
 * Core otherwise writes its WARN lines to stderr itself. Must run before the first connection,
 * which would install the SDK's default Runtime (INFO, Core at WARN). A Runtime the app installed
 * itself is kept: `Runtime.install` throws when one exists, and that is caught here.
 */
function installQuietRuntime(): void {
  const wanted = (process.env[LOG_LEVEL_ENV] ?? 'ERROR').toUpperCase() as LogLevel;
  if (!LOG_LEVELS.includes(wanted)) {
    throw new Error(`${LOG_LEVEL_ENV} must be one of ${LOG_LEVELS.join(', ')}`);
  }
  try {
    Runtime.install({
      logger: new DefaultLogger(wanted),
      telemetryOptions: { logging: { filter: { core: wanted }, forward: {} } },
    });
  } catch {
    // A Runtime exists (installed by the app, or by an earlier environment in this process).
  }
}

function explain(binary: 'cli' | 'test-server', type: string, err: unknown): Error {
  if (type !== 'cached-download') return err as Error;
  const { attempts } = resolveTemporalBinary(binary, { install: false });
  return new TemporalBinaryError(binary, [...attempts, `the SDK's own download: ${(err as Error).message}`]);
}
