/**
 * How every process entry point ends: a problem the user can fix (configuration, setup, a port in
 * use) is one line on stderr and exit code 1, never a stack trace; SIGINT/SIGTERM stop it cleanly.
 */
export function runMain(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : String(err));
      if (process.env.DEBUG) console.error(err);
      process.exit(1);
    },
  );
}

/** Resolves on the first SIGINT or SIGTERM (a second one exits at once). */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const once = (signal: NodeJS.Signals) => {
      process.removeListener('SIGINT', once);
      process.removeListener('SIGTERM', once);
      process.once('SIGINT', () => process.exit(130));
      resolve(signal);
    };
    process.on('SIGINT', once);
    process.on('SIGTERM', once);
  });
}
