/**
 * The limits in this process's memory (`memory:`): tests and the testing kit, or one process that
 * runs every worker. Each operation runs to completion synchronously, so admissions never
 * interleave; backends opened on one MemoryLimitData share its rows as connections to one database.
 */
import { type LimitVerdict } from '../shared/types';
import { type AdmitRequest, type BlockRow, type FlowRow, type LimitBackend, type Sum, type SumQuery } from './types';

interface Count {
  started: number;
  verified: number;
  expiresAt: number;
}

export class MemoryLimitData {
  /** key → bucket → counts */
  readonly counts = new Map<string, Map<number, Count>>();
  readonly runs = new Map<string, FlowRow>();
  readonly blocks = new Map<string, BlockRow>();

  open(): MemoryLimitBackend {
    return new MemoryLimitBackend(this);
  }
}

export class MemoryLimitBackend implements LimitBackend {
  constructor(private readonly data = new MemoryLimitData()) {}

  async admit(request: AdmitRequest): Promise<LimitVerdict> {
    const { data } = this;
    const plan = request.decide({
      flow: data.runs.get(request.flowKey),
      sums: this.sumsNow(request.queries),
      blocks: request.blockKeys.map((k) => data.blocks.get(k)).filter((b): b is BlockRow => Boolean(b)),
    });
    if ('existing' in plan) return plan.existing;
    for (const { key, bucket, expiresAt } of plan.increments) {
      let buckets = data.counts.get(key);
      if (!buckets) data.counts.set(key, (buckets = new Map()));
      const count = buckets.get(bucket) ?? { started: 0, verified: 0, expiresAt };
      count.started++;
      buckets.set(bucket, count);
    }
    data.runs.set(plan.flow.flowKey, structuredClone(plan.flow));
    for (const block of plan.blocks) data.blocks.set(block.key, { ...block });
    return plan.flow.verdict;
  }

  async convert(flowKey: string): Promise<boolean> {
    const run = this.data.runs.get(flowKey);
    if (!run || run.verified || run.counted.length === 0) return false;
    run.verified = true;
    for (const [key, bucket] of run.counted) {
      const count = this.data.counts.get(key)?.get(bucket);
      if (count) count.verified++;
    }
    return true;
  }

  async putBlock(row: BlockRow): Promise<void> {
    this.data.blocks.set(row.key, { ...row });
  }

  async getBlocks(keys?: string[]): Promise<BlockRow[]> {
    const rows = keys ? keys.map((k) => this.data.blocks.get(k)) : [...this.data.blocks.values()];
    return rows.filter((b): b is BlockRow => Boolean(b)).map((b) => ({ ...b }));
  }

  async sums(queries: SumQuery[]): Promise<Sum[]> {
    return this.sumsNow(queries);
  }

  async expire(now: number): Promise<number> {
    let removed = 0;
    for (const [key, buckets] of this.data.counts) {
      for (const [bucket, count] of buckets) {
        if (count.expiresAt <= now) {
          buckets.delete(bucket);
          removed++;
        }
      }
      if (buckets.size === 0) this.data.counts.delete(key);
    }
    for (const [key, run] of this.data.runs) if (run.expiresAt <= now && this.data.runs.delete(key)) removed++;
    for (const [key, block] of this.data.blocks) if (block.expiresAt <= now && this.data.blocks.delete(key)) removed++;
    return removed;
  }

  async close(): Promise<void> {}

  private sumsNow(queries: SumQuery[]): Sum[] {
    return queries.map(({ key, from, to, afterBlockOf }) => {
      const after = afterBlockOf ? (this.data.blocks.get(afterBlockOf)?.until ?? 0) : 0;
      const lo = Math.max(from, after);
      const sum: Sum = { started: 0, verified: 0 };
      for (const [bucket, count] of this.data.counts.get(key) ?? []) {
        if (bucket < lo || bucket >= to) continue;
        sum.started += count.started;
        sum.verified += count.verified;
        if (count.started > 0 && (sum.oldest === undefined || bucket < sum.oldest)) sum.oldest = bucket;
      }
      return sum;
    });
  }
}
