/** `npm run bench` (quick) or `npm run bench -- --full`: prints the table, writes bench/results/latest.json. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatReport, runBench } from './harness';

async function main(): Promise<void> {
  const full = process.argv.includes('--full');
  const report = await runBench({
    // The per-flow scenarios are the same in both profiles: --full adds the runs at scale.
    flows: 200,
    concurrency: 50,
    webhookBurst: full ? 20_000 : 2_000,
    inFlight: full ? 10_000 : undefined,
    bulk: full ? 100_000 : undefined,
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
