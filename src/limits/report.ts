/**
 * Events that may come with every start (the store unreachable, monitor-mode refusals) are counted
 * at once and written at most once per interval per event, with the count since the last line and
 * the latest detail: a store outage at a thousand starts a second is one line a minute, not a
 * thousand.
 */
export class IntervalReport {
  private readonly pending = new Map<string, { n: number; detail: string }>();
  private readonly lastWritten = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  /** Since this object was made, per event. */
  readonly totals = new Map<string, number>();

  constructor(
    private readonly write: (event: string, count: number, detail: string) => void,
    private readonly intervalMs = 60_000,
  ) {}

  add(event: string, detail: string): void {
    this.totals.set(event, (this.totals.get(event) ?? 0) + 1);
    const now = Date.now();
    const last = this.lastWritten.get(event);
    if (last === undefined || now - last >= this.intervalMs) {
      this.emit(event, 1, detail, now);
      return;
    }
    const entry = this.pending.get(event) ?? { n: 0, detail };
    entry.n++;
    entry.detail = detail;
    this.pending.set(event, entry);
    this.timer ??= setTimeout(() => this.flush(), last + this.intervalMs - now).unref();
  }

  /** Writes what is pending now (also at the end of each interval). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const now = Date.now();
    for (const [event, { n, detail }] of this.pending) this.emit(event, n, detail, now);
    this.pending.clear();
  }

  private emit(event: string, count: number, detail: string, now: number): void {
    this.lastWritten.set(event, now);
    this.write(event, count, detail);
  }
}
