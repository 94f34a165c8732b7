import { HEALTH_COUNTS, type BreakerRecord, type HealthBucket, type HealthCounts, type HealthStore } from './types';

/**
 * Provider health in this process's memory (`memory:`): tests, and a worker that runs alone.
 * Stores opened on one `MemoryHealthData` share it, as two connections to one database would.
 */
export class MemoryHealthData {
  readonly buckets = new Map<string, HealthBucket>();
  readonly breakers = new Map<string, BreakerRecord>();

  open(): MemoryHealthStore {
    return new MemoryHealthStore(this);
  }
}

export class MemoryHealthStore implements HealthStore {
  constructor(private readonly data = new MemoryHealthData()) {}

  async record(bucketStart: number, counts: Map<string, HealthCounts>): Promise<void> {
    for (const [key, c] of counts) {
      const id = `${key}\u0000${bucketStart}`;
      const bucket = this.data.buckets.get(id) ?? { key, start: bucketStart, ...zero() };
      for (const name of HEALTH_COUNTS) bucket[name] += c[name];
      this.data.buckets.set(id, bucket);
      const breaker = this.data.breakers.get(key);
      if (breaker?.state === 'half_open') {
        breaker.probe = {
          ok: breaker.probe.ok + c.ok,
          errors: breaker.probe.errors + c.errors,
          delivered: breaker.probe.delivered + c.delivered,
          failed: breaker.probe.failed + c.failed,
        };
      }
    }
  }

  async buckets(from: number): Promise<HealthBucket[]> {
    return [...this.data.buckets.values()].filter((b) => b.start >= from).map((b) => ({ ...b }));
  }

  async breakers(): Promise<BreakerRecord[]> {
    return [...this.data.breakers.values()].map((r) => ({ ...r, probe: { ...r.probe } }));
  }

  async write(next: BreakerRecord): Promise<boolean> {
    const current = this.data.breakers.get(next.key)?.version ?? 0;
    if (current !== next.version - 1) return false;
    this.data.breakers.set(next.key, { ...next, probe: { ...next.probe } });
    return true;
  }

  async takeProbe(key: string): Promise<boolean> {
    const r = this.data.breakers.get(key);
    if (r?.state !== 'half_open' || r.probesLeft <= 0) return false;
    r.probesLeft--;
    return true;
  }

  async prune(before: number): Promise<number> {
    let removed = 0;
    for (const [id, b] of this.data.buckets) {
      if (b.start >= before) continue;
      this.data.buckets.delete(id);
      removed++;
    }
    return removed;
  }

  async close(): Promise<void> {}
}

function zero(): HealthCounts {
  return { attempts: 0, firstTries: 0, firstErrors: 0, errors: 0, ok: 0, expected: 0, delivered: 0, failed: 0 };
}
