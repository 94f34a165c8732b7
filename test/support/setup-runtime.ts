import { DefaultLogger, Runtime } from '@temporalio/worker';

// Quiet worker logs in tests: warnings and errors only. Installed once per jest worker process.
try {
  Runtime.install({ logger: new DefaultLogger('WARN') });
} catch {
  // already installed by an earlier test file in this process
}
