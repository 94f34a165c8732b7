/**
 * A Prometheus server of our own (Debian's `prometheus` package, or any on PATH / PROMETHEUS_BIN):
 * a temporary config and data directory, loopback only, scraping the targets given. Used by the
 * metrics test and by `npm run dev`; the package's own system service plays no part.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../src/testing/dev-server';

export interface ScrapeTarget {
  job: string;
  /** host:port */
  address: string;
  path?: string;
  bearerToken?: string;
}

export interface PrometheusServer {
  url: string;
  /** An instant query through the HTTP API; the result vector. */
  query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  stop(): Promise<void>;
}

/** The server binary, or undefined when none is installed. */
export function findPrometheus(): string | undefined {
  const candidates = [process.env.PROMETHEUS_BIN, '/usr/bin/prometheus', '/usr/local/bin/prometheus'];
  const found = candidates.find((c): c is string => Boolean(c) && existsSync(c!));
  if (found) return found;
  const which = spawnSync('sh', ['-c', 'command -v prometheus'], { encoding: 'utf8' });
  return which.status === 0 ? which.stdout.trim() || undefined : undefined;
}

/** `promtool` beside the server binary (the Debian package ships both). */
export function findPromtool(): string | undefined {
  const server = findPrometheus();
  const beside = server && join(server, '..', 'promtool');
  if (beside && existsSync(beside)) return beside;
  const which = spawnSync('sh', ['-c', 'command -v promtool'], { encoding: 'utf8' });
  return which.status === 0 ? which.stdout.trim() || undefined : undefined;
}

export async function startPrometheus(options: {
  targets: ScrapeTarget[];
  ruleFiles?: string[];
  port?: number;
  /** Default 1s: a short scenario's counters are seen moving. */
  scrapeInterval?: string;
  /** Kept across runs when given (`npm run dev`); a temporary directory otherwise. */
  dataDir?: string;
}): Promise<PrometheusServer> {
  const bin = findPrometheus();
  if (!bin) throw new Error('prometheus is not installed (Debian: apt-get install prometheus)');
  const dir = mkdtempSync(join(tmpdir(), 'cascade-prometheus-'));
  const interval = options.scrapeInterval ?? '1s';
  const config = {
    global: { scrape_interval: interval, evaluation_interval: interval },
    rule_files: options.ruleFiles ?? [],
    scrape_configs: options.targets.map((t) => ({
      job_name: t.job,
      metrics_path: t.path ?? '/metrics',
      static_configs: [{ targets: [t.address] }],
      ...(t.bearerToken ? { authorization: { type: 'Bearer', credentials: t.bearerToken } } : {}),
    })),
  };
  // JSON is YAML: no YAML writer needed.
  writeFileSync(join(dir, 'prometheus.yml'), JSON.stringify(config, null, 2), { mode: 0o600 });
  const port = options.port ?? (await freePort());
  const child: ChildProcess = spawn(
    bin,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${options.dataDir ?? join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; ; i++) {
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (child.exitCode !== null || i > 300) {
      await stop();
      throw new Error(`prometheus did not start:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    async query(expr) {
      const res = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: expr })}`);
      const body = (await res.json()) as { status: string; error?: string; data?: { result: unknown } };
      if (body.status !== 'success') throw new Error(`query failed: ${body.error}\n${expr}`);
      return body.data!.result as { metric: Record<string, string>; value: [number, string] }[];
    },
    stop,
  };
}
