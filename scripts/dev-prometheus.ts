/**
 * `npm run dev`'s Prometheus, when one is installed (Debian: `apt-get install prometheus`): it
 * scrapes the sandbox's worker and webhook receiver every few seconds and loads the shipped alert
 * rules, so a newcomer sees the numbers move while the demo runs. Without the binary the sandbox
 * runs as before and says how to get it.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { CASCADE_HISTOGRAM_BUCKETS } from '../src/metrics/catalog';
import { findPrometheus, startPrometheus } from './prometheus';

const RULES = join(__dirname, '..', 'dashboards', 'temporal-cascade-alerts.yaml');

/** The receiver's `/metrics` token for this run (Prometheus presents it; nothing else needs it). */
export const DEV_METRICS_TOKEN = randomBytes(16).toString('hex');

/** The worker Runtime's Prometheus exporter, for `Runtime.install`. */
export function devRuntimeMetrics(port: number) {
  return {
    telemetryOptions: {
      metrics: {
        prometheus: { bindAddress: `127.0.0.1:${port}`, histogramBucketOverrides: CASCADE_HISTOGRAM_BUCKETS },
      },
    },
  };
}

export async function startDevPrometheus(options: {
  port: number;
  workerMetricsPort: number;
  receiverUrl: string;
  dataDir: string;
}): Promise<{ url: string; stop(): Promise<void> } | undefined> {
  if (!findPrometheus()) {
    console.log('Prometheus is not installed: metrics are not collected (Debian: apt-get install prometheus)');
    return undefined;
  }
  try {
    return await startPrometheus({
      port: options.port,
      scrapeInterval: '5s',
      dataDir: join(options.dataDir, 'prometheus'),
      ruleFiles: [RULES],
      targets: [
        { job: 'cascade-worker', address: `127.0.0.1:${options.workerMetricsPort}` },
        { job: 'cascade-receiver', address: new URL(options.receiverUrl).host, bearerToken: DEV_METRICS_TOKEN },
      ],
    });
  } catch (err) {
    console.log(`Prometheus did not start (${(err as Error).message.split('\n')[0]}); the sandbox runs without it`);
    return undefined;
  }
}
