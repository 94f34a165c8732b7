#!/usr/bin/env node
/** `temporal-cascade`: the command line (see src/cli/run.ts and `temporal-cascade --help`). */
import { run } from '../cli/run';

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(4);
  },
);
