import { type MetricDefinition } from './catalog';

/**
 * Counters for a process without a Temporal Runtime (the webhook receiver), rendered in the
 * Prometheus text format (0.0.4). Label values come from fixed sets (see catalog.ts).
 */
export class CounterRegistry {
  private readonly values = new Map<MetricDefinition, Map<string, number>>();

  add(metric: MetricDefinition, labels: Record<string, string>, value = 1): void {
    let series = this.values.get(metric);
    if (!series) this.values.set(metric, (series = new Map()));
    const key = seriesKey(metric, labels);
    series.set(key, (series.get(key) ?? 0) + value);
  }

  /** The count of one series, or of every series whose labels include these. */
  get(metric: MetricDefinition, labels: Record<string, string> = {}): number {
    let total = 0;
    for (const [key, value] of this.values.get(metric) ?? []) {
      if (Object.entries(labels).every(([l, v]) => key.includes(`${l}="${escapeLabel(v)}"`))) total += value;
    }
    return total;
  }

  render(): string {
    return [...this.values].map(([metric, series]) => renderSeries(metric, series)).join('');
  }
}

/** A gauge read at scrape time (not kept in a registry), in the same text format. */
export function renderGauge(
  metric: MetricDefinition,
  series: { labels: Record<string, string>; value: number }[],
): string {
  return renderSeries(metric, new Map(series.map((s) => [seriesKey(metric, s.labels), s.value])));
}

function renderSeries(metric: MetricDefinition, series: Map<string, number>): string {
  const lines = [
    `# HELP ${metric.name} ${metric.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`,
    `# TYPE ${metric.name} ${metric.kind}`,
  ];
  for (const [key, value] of series) lines.push(`${metric.name}${key ? `{${key}}` : ''} ${value}`);
  return lines.join('\n') + '\n';
}

function seriesKey(metric: MetricDefinition, labels: Record<string, string>): string {
  return metric.labels.map((l) => `${l}="${escapeLabel(labels[l] ?? '')}"`).join(',');
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
