import { randomUUID } from 'node:crypto';
import { type ReceiptIndex } from '../../src/receipts/types';
import { type DeliveryStatus } from '../../src/shared/delivery-status';

/**
 * The receipt index's own throughput, one caller at a time (as one worker's send activities and one
 * receiver's requests use it): a claim per single send, claims in batches of 1000 (a bulk batch),
 * and a route per receipt. Reported per second and as a multiple of the flow rate it must sustain.
 */
export async function measureReceiptIndex(index: ReceiptIndex, count: number) {
  const run = randomUUID().slice(0, 8);
  const ids = Array.from({ length: count }, (_, i) => `idx-${run}-${i}`);
  const t0 = Date.now();
  for (const [i, id] of ids.entries()) {
    await index.claim('smsbat', [{ messageId: id, owner: { kind: 'flow', workflowId: `deliver:bench-${i}` } }]);
  }
  const singleMs = Date.now() - t0;
  const bulkIds = ids.map((id) => `${id}-b`);
  const t1 = Date.now();
  for (let i = 0; i < bulkIds.length; i += 1000) {
    await index.claim(
      'smsbat',
      bulkIds
        .slice(i, i + 1000)
        .map((messageId, j) => ({ messageId, owner: { kind: 'bulk', workflowId: 'bulk:bench', slot: i + j } })),
    );
  }
  const batchMs = Date.now() - t1;
  const t2 = Date.now();
  for (const id of ids) {
    const receipt: DeliveryStatus = {
      provider: 'smsbat',
      providerMessageId: id,
      state: 'delivered',
      rawStatus: 'delivered',
    };
    await index.route(receipt);
  }
  const routeMs = Date.now() - t2;
  return {
    claimsPerSec: (count / singleMs) * 1000,
    batchedClaimsPerSec: (count / batchMs) * 1000,
    routesPerSec: (count / routeMs) * 1000,
  };
}
