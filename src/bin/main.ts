/**
 * How every process entry point ends: a problem the user can fix (configuration, setup, a port in
 * use) is one line on stderr and exit code 1, never a stack trace; SIGINT/SIGTERM stop it cleanly.
 */
export function runMain(main: () => Promise<void>): void {
  stopWithParent();
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : String(err));
      if (process.env.DEBUG) console.error(err);
      process.exit(1);
    },
  );
}

/** Resolves on the first SIGINT or SIGTERM (a second SIGINT exits at once). */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const once = (signal: NodeJS.Signals) => {
      process.removeListener('SIGINT', once);
      process.removeListener('SIGTERM', once);
      process.once('SIGINT', () => process.exit(130));
      process.on('SIGTERM', () => undefined); // already stopping
      resolve(signal);
    };
    process.on('SIGINT', once);
    process.on('SIGTERM', once);
  });
}

/**
 * `npm run <script>` puts a shell between npm and us, and the shell neither forwards a SIGTERM or
 * SIGINT sent to npm nor outlives it: we are left running, holding our ports, with a new parent.
 * So a process whose parent goes away stops as if it had been sent SIGTERM (once).
 */
export function stopWithParent(intervalMs = 250): void {
  const parent = process.ppid;
  if (parent <= 1) return;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    process.kill(process.pid, 'SIGTERM');
  }, intervalMs);
  timer.unref();
}
