// The bench worker's workflows: the product's, plus the engine baseline.
import { proxyActivities } from '@temporalio/workflow';

export * from '../src/workflows';

const { benchNoop } = proxyActivities<{ benchNoop(id: string): Promise<void> }>({ startToCloseTimeout: '30s' });

/** The engine's own ceiling here: one workflow, one no-op activity. */
export async function benchBaseline(id: string): Promise<void> {
  await benchNoop(id);
}
