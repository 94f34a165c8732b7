import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { METRICS, metricsTable, type MetricDefinition } from '../../src/metrics/catalog';
import { countryCode, refusalReason } from '../../src/metrics/labels';

const ROOT = join(__dirname, '../..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');
const catalog = Object.values(METRICS) as MetricDefinition[];

/** A markdown table's rows as trimmed cells (prettier pads them; the content is what counts). */
const rows = (table: string) =>
  table
    .trim()
    .split('\n')
    .filter((l) => !/^\|\s*-/.test(l))
    .map((l) =>
      l
        .split(/(?<!\\)\|/)
        .slice(1, -1)
        .map((c) => c.trim()),
    );

/** Every metric name an expression uses, histogram series mapped to their metric. */
const namesIn = (expr: string) =>
  (expr.match(/\btemporal_[a-z_]+/g) ?? []).map((n) => n.replace(/_(bucket|sum|count)$/, ''));

describe('the metrics catalog', () => {
  test('README "Operating it" shows the catalog as its metrics table', () => {
    const readme = read('README.md');
    const table = /<!-- metrics-table:start -->\n([\s\S]*?)\n<!-- metrics-table:end -->/.exec(readme)?.[1];
    expect(table).toBeDefined();
    expect(rows(table!)).toEqual(rows(metricsTable()));
  });

  test('names follow Prometheus conventions: the product prefix, _total counters, base units', () => {
    for (const m of catalog) {
      expect(m.name).toMatch(/^temporal_cascade_[a-z_]+$/);
      if (m.kind === 'counter') expect(m.name).toMatch(/_total$/);
      else expect(m.name).not.toMatch(/_total$/);
      expect(m.name).not.toMatch(/_(ms|milliseconds|minutes)$/);
    }
  });

  test('no label can carry a phone number, an address, a code or an id', () => {
    // Each label's values come from a fixed set (`code` is the HTTP status; `country_code` the calling code).
    const bounded = ['provider', 'route', 'result', 'outcome', 'from', 'to', 'path', 'state', 'currency'];
    bounded.push('country_code', 'scope', 'reason', 'code', 'mode', 'store');
    expect(catalog.flatMap((m) => m.labels).filter((l) => !bounded.includes(l))).toEqual([]);
    expect(countryCode({ phone: '+380501234567' })).toBe('380');
    expect(countryCode({ phone: '+12135550100' })).toBe('1');
    expect(countryCode({ phone: '+447400123456' })).toBe('44');
    expect(countryCode({})).toBe('none');
    expect(refusalReason('more than 5 codes in an hour')).toBe('hourly_quota');
    expect(
      refusalReason('blocked: 3% of the last 60 codes were verified (minimum 10%), the pattern of SMS pumping'),
    ).toBe('low_conversion');
    expect(refusalReason('something +380501234567 said')).toBe('other');
  });

  test('the dashboard and the alert rules use only metrics the catalog (or the Temporal SDK) defines', () => {
    const dashboard = JSON.parse(read('dashboards/temporal-cascade.json')) as {
      panels: { targets?: { expr: string }[] }[];
      templating: { list: { name: string }[] };
    };
    const rules = parse(read('dashboards/temporal-cascade-alerts.yaml')) as { groups: { rules: { expr: string }[] }[] };
    const exprs = [
      ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
      ...rules.groups.flatMap((g) => g.rules.map((r) => r.expr)),
    ];
    const known = new Set(catalog.map((m) => m.name));
    const ours = [...new Set(exprs.flatMap(namesIn))].filter((n) => n.startsWith('temporal_cascade_'));
    expect(ours.filter((n) => !known.has(n))).toEqual([]);
    // Temporal's dashboards' variables: datasource, namespace, task queue.
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(['datasource', 'namespace', 'task_queue']);
  });

  test('the package ships the dashboard and the rules', () => {
    const pkg = JSON.parse(read('package.json')) as { files: string[] };
    expect(pkg.files).toContain('dashboards');
  });
});
