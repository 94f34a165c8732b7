import { CancellationScope, isCancellation, sleep } from '@temporalio/workflow';

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
