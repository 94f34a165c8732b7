import { CancellationScope, condition, isCancellation, sleep } from '@temporalio/workflow';

/**
 * A durable timer that calls `onFire` when it elapses, running beside the workflow's main line
 * (TTL, code expiry). `cancel()` removes it once the flow has ended.
 */
export function startDeadline(ms: number, summary: string, onFire: () => void): { cancel(): void } {
  const scope = new CancellationScope();
  scope
    .run(() => sleep(ms, { summary }))
    .then(onFire)
    .catch((err) => {
      if (!isCancellation(err)) throw err;
    });
  return { cancel: () => scope.cancel() };
}

/**
 * `condition(fn, ms)`, except that when `fn` comes true first its timer is handed back still
 * running instead of being cancelled. A workflow about to end can leave it (the server drops it
 * with the run; cancelling would write one more history event); one that goes on waiting must
 * `cancel()` it, or it fires later for nothing.
 */
export async function conditionOrTimer(
  fn: () => boolean,
  ms: number,
  summary: string,
): Promise<{ woke: boolean; timer?: { cancel(): void } }> {
  let fired = false;
  const timer = startDeadline(ms, summary, () => void (fired = true));
  await condition(() => fired || fn());
  if (fired && !fn()) return { woke: false };
  return { woke: true, timer: fired ? undefined : timer };
}
