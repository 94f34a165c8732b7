/**
 * `npm run dev`: the local sandbox in one command — Temporal dev server with its Web UI (SQLite
 * under .data/, reused by the next run), the provider simulator, and a worker wired to it.
 * Ctrl-C stops everything.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../src/config';
import { SIM_CREDENTIALS, startSimulator } from '../src/sim/server';
import { startDevServer } from '../src/testing/dev-server';
import { createCascadeWorker } from '../src/worker';

const DATA = join(__dirname, '..', '.data');
const port = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

async function main(): Promise<void> {
  mkdirSync(DATA, { recursive: true });
  const ports = {
    temporal: port('DEV_TEMPORAL_PORT', 7233),
    ui: port('DEV_UI_PORT', 8233),
    sim: port('DEV_SIM_PORT', 8090),
    smtp: port('DEV_SMTP_PORT', 2525),
  };
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((err) => console.error(err));
  };
  let stopping = false;
  const onSignal = () => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping…');
    void stopAll().then(() => process.exit(0));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    console.log('starting the Temporal dev server…');
    const server = await startDevServer({
      port: ports.temporal,
      uiPort: ports.ui,
      dbFilename: join(DATA, 'temporal.sqlite'),
    });
    stops.push(() => server.stop());

    const sim = await startSimulator({ port: ports.sim, smtpPort: ports.smtp, deliveryDelayMs: 1500 });
    stops.push(() => sim.close());

    const config = loadConfig({
      ...process.env,
      TEMPORAL_ADDRESS: server.address,
      SMSBAT_BASE_URL: sim.url,
      SMSBAT_API_KEY: SIM_CREDENTIALS.smsbat.apiKey,
      REACH_BASE_URL: sim.url,
      REACH_API_USER: SIM_CREDENTIALS.reach.apiUser,
      REACH_API_KEY: SIM_CREDENTIALS.reach.apiKey,
      SMTP_URL: sim.smtpUrl,
      SMTP_FROM: 'sandbox@temporal-cascade.local',
      CASCADE_OTP_SECRET: process.env.CASCADE_OTP_SECRET ?? sandboxSecret(),
    });
    const { worker, close } = await createCascadeWorker({ config });
    const running = worker.run();
    stops.push(async () => {
      worker.shutdown();
      await running;
      await close();
    });

    console.log(
      [
        '',
        'temporal-cascade sandbox is up:',
        `  Temporal Web UI     ${server.uiUrl}`,
        `  Temporal gRPC       ${server.address} (namespace ${server.namespace})`,
        `  provider simulator  ${sim.url}  (SMSBAT + Reach; control API ${sim.url}/_sim/health)`,
        `  SMTP capture        ${sim.smtpUrl}`,
        `  worker              task queue "${config.temporal.taskQueue}"`,
        '',
        'Ctrl-C stops everything; the next run reuses .data/temporal.sqlite.',
      ].join('\n'),
    );
    await running;
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    await stopAll();
    process.exit(1);
  }
}

/** A sandbox-only OTP secret, made once and kept under .data/ (git-ignored). */
function sandboxSecret(): string {
  const file = join(DATA, 'otp-secret');
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

void main();
