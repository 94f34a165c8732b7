import { type LimitStore } from '../limits/store';
import { type GuardState } from '../shared/limits';

/**
 * Operators' view of the abuse limits: a prefix's state (blocked or not, why, since, until, its
 * last hour's codes and conversion), the prefixes blocked now, and a manual block or unblock. It
 * works on the limit store the workers count in (`openLimitStore(url, policy)`, the receipt
 * index's URL); starting flows needs no store.
 */
export class AbuseGuard {
  constructor(readonly store: LimitStore) {}

  async state(prefix: string): Promise<GuardState> {
    return this.store.status(prefix);
  }

  /** Prefixes blocked now (in monitor mode: that would be refused), newest first. */
  async list(): Promise<GuardState[]> {
    return this.store.list();
  }

  /** Lifts a block now; the prefix's conversion is judged afresh from here. */
  async unblockPrefix(prefix: string, by: string, reason?: string): Promise<GuardState> {
    return this.store.unblock(prefix, by, reason);
  }

  /** Blocks until unblocked, or for `forMs`. */
  async blockPrefix(prefix: string, by: string, reason: string, forMs?: number): Promise<GuardState> {
    return this.store.block(prefix, by, reason, forMs);
  }
}
