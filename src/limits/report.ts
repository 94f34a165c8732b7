/**
 * Events that may come with every start (the store unreachable, monitor-mode refusals) are counted
 * at once and logged once per interval, with the count and the latest detail: a store outage at
 * a thousand starts a second is one line a minute, not a thousand.
 */
export class IntervalReport {
  private counts = new Map<string, { n: number; detail: string }>();
  private timer?: NodeJS.Timeout;
  /** Since this object was made, per event. */
  readonly totals = new Map<string, number>();

  constructor(
    private readonly write: (event: string, count: number, detail: string) => void,
    private readonly intervalMs = 60_000,
  ) {}

  add(event: string, detail: string): void {
    this.totals.set(event, (this.totals.get(event) ?? 0) + 1);
    const entry = this.counts.get(event);
    if (entry) {
      entry.n++;
      entry.detail = detail;
      return;
    }
    // The first of an interval is written at once; the rest in the interval's summary.
    this.counts.set(event, { n: 0, detail });
    this.write(event, 1, detail);
    this.timer ??= setTimeout(() => this.flush(), this.intervalMs).unref();
  }

  flush(): void {
    this.timer = undefined;
    const counts = this.counts;
    this.counts = new Map();
    for (const [event, { n, detail }] of counts) if (n > 0) this.write(event, n, detail);
    if (counts.size > 0 && [...counts.values()].some((c) => c.n > 0)) {
      this.timer = setTimeout(() => this.flush(), this.intervalMs).unref();
    }
  }
}
