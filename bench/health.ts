/**
 * `npx tsx bench/health.ts [--flows=N] [--noise=N] [--address=host:port]`: the provider-health
 * scenarios (issue 25) on a fresh dev server (or the given one); prints the figures and the
 * targets, writes bench/results/health-latest.json. Defaults: 40 flows per wave, 400 noise flows.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { startDevServer } from '../src/testing/dev-server';
import { healthTargets, measureProviderHealth } from './scenarios/provider-health';

function arg(name: string): string | undefined {
  return process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

function count(name: string, otherwise: number): number {
  const value = arg(name);
  if (value === undefined) return otherwise;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive whole number, got "${value}"`);
  return n;
}

async function main(): Promise<void> {
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } },
  });
  const known = ['flows', 'noise', 'address'];
  const unknown = process.argv.slice(2).filter((a) => !known.some((k) => a.startsWith(`--${k}=`)));
  if (unknown.length) throw new Error(`unknown arguments: ${unknown.join(' ')} (see bench/health.ts)`);
  const server = arg('address') ? undefined : await startDevServer();
  try {
    const sections = await measureProviderHealth({
      address: arg('address') ?? server!.address,
      flows: count('flows', 40),
      noiseFlows: count('noise', 400),
      log: (line) => process.stderr.write(`${line}\n`),
    });
    const targets = healthTargets(sections);
    for (const [name, figures] of Object.entries(sections)) {
      console.log(
        `${name}: ${Object.entries(figures)
          .map(([k, v]) => `${k}=${Math.round(v * 100) / 100}`)
          .join(' ')}`,
      );
    }
    for (const t of targets) console.log(`target ${t.met ? 'met' : 'MISSED'}: ${t.name} = ${t.value} (${t.target})`);
    const dir = join(__dirname, 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'health-latest.json'),
      JSON.stringify({ at: new Date().toISOString(), sections, targets }, null, 2),
    );
  } finally {
    await server?.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
