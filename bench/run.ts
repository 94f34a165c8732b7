/**
 * `npm run bench` (quick) or `npm run bench -- --full`: prints the table, writes bench/results/latest.json.
 * Sizes can be set one by one: `--flows=N --concurrency=N --burst=N --in-flight=N --bulk=N --bulk-webhooks=N --index=N --metrics=N --flood=N`
 * (0 skips one of the last seven).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { formatReport, runBench } from './harness';

const SIZES = ['flows', 'concurrency', 'burst', 'in-flight', 'bulk', 'bulk-webhooks', 'index', 'metrics', 'flood'];

function size(name: string, otherwise: number | undefined): number | undefined {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  if (!arg) return otherwise;
  const value = arg.slice(name.length + 3);
  const n = Number(value);
  if (value === '' || !Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number, got "${arg}"`);
  return n;
}

async function main(): Promise<void> {
  // Core's WARN level reports, among others, every send that finishes after its OTP flow was
  // verified (a race the OTP scenario provokes on purpose): thousands of lines that hide the table.
  Runtime.install({
    logger: new DefaultLogger('WARN'),
    telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } },
  });
  const unknown = process.argv
    .slice(2)
    .filter((a) => a !== '--full' && !SIZES.some((name) => a.startsWith(`--${name}=`)));
  if (unknown.length) throw new Error(`unknown arguments: ${unknown.join(' ')} (see bench/run.ts)`);
  const full = process.argv.includes('--full');
  const report = await runBench({
    // The per-flow scenarios are the same in both profiles: --full adds the runs at scale.
    flows: Math.max(1, size('flows', 200)!),
    concurrency: Math.max(1, size('concurrency', 50)!),
    webhookBurst: size('burst', full ? 20_000 : 2_000) || undefined,
    inFlight: size('in-flight', full ? 10_000 : undefined) || undefined,
    bulk: size('bulk', full ? 100_000 : undefined) || undefined,
    bulkWebhooks: size('bulk-webhooks', full ? 100_000 : 10_000) || undefined,
    indexOps: size('index', full ? 20_000 : 5_000) || undefined,
    metricsOverhead: size('metrics', full ? 2_000 : 400) || undefined,
    flood: size('flood', 10_000) || undefined,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  console.log(formatReport(report));
  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'latest.json'), JSON.stringify(report, null, 2));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
