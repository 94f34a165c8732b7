/**
 * Provisions the pinned Temporal CLI and time-skipping test server into `.tools/temporal`
 * (no-op when they are there or named by TEMPORAL_CLI_PATH / TEMPORAL_TEST_SERVER_PATH).
 */
import { resolveTemporalBinary, TemporalBinaryError, type TemporalBinary } from '../src/testing/temporal-binaries';

let failed = false;
for (const binary of ['cli', 'test-server'] as TemporalBinary[]) {
  const found = resolveTemporalBinary(binary);
  if (found.path) console.log(`temporal ${binary}: ${found.path}`);
  else {
    console.error(new TemporalBinaryError(binary, found.attempts).message);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
