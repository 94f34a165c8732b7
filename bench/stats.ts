export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/**
 * Runs `count` tasks with at most `concurrency` in flight; returns the wall time in ms. After a
 * task fails no new one starts, and the first error is thrown once those in flight have settled
 * (so nothing is left calling a server the caller is about to stop).
 */
export async function runConcurrently(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
): Promise<number> {
  const started = Date.now();
  let next = 0;
  let failure: { error: unknown } | undefined;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count && !failure) {
        try {
          await task(next++);
        } catch (error) {
          failure ??= { error };
        }
      }
    }),
  );
  if (failure) throw failure.error;
  return Date.now() - started;
}

export const ratio = (value: number, baseline: number) => (baseline > 0 ? value / baseline : NaN);
