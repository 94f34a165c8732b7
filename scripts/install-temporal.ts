/**
 * `npm run tools`: provisions the pinned Temporal CLI and time-skipping test server into the
 * per-user cache (no-op when they are there or named by TEMPORAL_CLI_PATH / TEMPORAL_TEST_SERVER_PATH).
 */
import { installTemporalBinaries } from '../src/testing/temporal-binaries';

const { ok, lines } = installTemporalBinaries();
for (const line of lines) (ok ? console.log : console.error)(line);
process.exit(ok ? 0 : 1);
