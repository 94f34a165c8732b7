/**
 * `npm run dev`: the local sandbox in one command — Temporal dev server with its Web UI (SQLite
 * under .data/, reused by the next run), the provider simulator, the webhook receiver, the codec
 * server, a worker, and a demo OTP flow to watch (DEV_DEMO=0 skips it). Ctrl-C, SIGTERM, or the
 * end of the process that started it (npm) stops everything in order and exits 0.
 *
 * Each part is started with `part(name, start)`, which records how to stop it, and may add lines
 * to the banner: a new part (a metrics endpoint, a dashboard) is one more call in main().
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { Runtime } from '@temporalio/worker';
import { CascadeClient } from '../src/client';
import { dataConverterFor } from '../src/codec/data-converter';
import { EncryptionCodec } from '../src/codec/encryption-codec';
import { CodecServer } from '../src/codec/server';
import { loadConfig } from '../src/config';
import { openLimitStore } from '../src/limits/open';
import { openReceiptIndex } from '../src/receipts/open';
import { DEFAULT_LIMITS } from '../src/shared/limits';
import { SIM_CREDENTIALS, startSimulator } from '../src/sim/server';
import { startDevServer } from '../src/testing/dev-server';
import { WebhookReceiver } from '../src/webhooks/receiver';
import { smsbatWebhookUrl } from '../src/webhooks/urls';
import { createCascadeWorker } from '../src/worker/create-worker';
import { stopWithParent } from '../src/bin/main';
import { SANDBOX_SETTINGS_FILE } from '../src/cli/sandbox-settings';
import { sandboxLogger } from './dev-log';
import { runDemo } from './demo';
import { DEV_METRICS_TOKEN, devRuntimeMetrics, startDevPrometheus } from './dev-prometheus';

const ROOT = join(__dirname, '..');
const DATA = process.env.DEV_DATA_DIR ?? join(ROOT, '.data');
const port = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

async function main(): Promise<void> {
  mkdirSync(DATA, { recursive: true, mode: 0o700 });
  // Signals are ours to handle: everything stops in order below, not the SDK's own way in parallel.
  Runtime.install({
    logger: sandboxLogger(),
    shutdownSignals: [],
    ...devRuntimeMetrics(port('DEV_METRICS_PORT', 9464)),
  });
  const ports = {
    temporal: port('DEV_TEMPORAL_PORT', 7233),
    ui: port('DEV_UI_PORT', 8233),
    sim: port('DEV_SIM_PORT', 8090),
    smtp: port('DEV_SMTP_PORT', 2525),
    webhooks: port('DEV_WEBHOOK_PORT', 8091),
    codec: port('DEV_CODEC_PORT', 8888),
  };
  const stops: [string, () => Promise<void>][] = [];
  const banner: string[] = [];
  async function part<T>(name: string, start: () => Promise<T>, stop: (it: T) => Promise<void>): Promise<T> {
    const it = await start();
    stops.push([name, () => stop(it)]);
    return it;
  }
  let stopping = false;
  const stopAll = async () => {
    for (const [name, stop] of stops.reverse()) {
      await stop().catch((err: unknown) => console.error(`stopping ${name}: ${(err as Error).message}`));
    }
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      if (signal === 'SIGINT') process.exit(130); // a second Ctrl-C: now
      return;
    }
    stopping = true;
    console.log('\nstopping…');
    void stopAll().then(() => process.exit(0));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  stopWithParent();

  try {
    // No token in the Web UI's codec endpoint: the dev server would carry it in its arguments and
    // serve it to anyone at /api/v1/settings. The codec server listens on loopback only and
    // answers only the Web UI's origins.
    const codecEndpoint = `http://127.0.0.1:${ports.codec}`;
    console.log('starting the Temporal dev server…');
    const server = await part(
      'the Temporal dev server',
      () =>
        startDevServer({
          port: ports.temporal,
          uiPort: ports.ui,
          dbFilename: join(DATA, 'temporal.sqlite'),
          codecEndpoint,
        }),
      (s) => s.stop(),
    );
    const sim = await part(
      'the simulator',
      () => startSimulator({ port: ports.sim, smtpPort: ports.smtp, deliveryDelayMs: 1500 }),
      (s) => s.close(),
    );

    const publicUrl = `http://127.0.0.1:${ports.webhooks}`;
    // What a client needs to reach this sandbox; the CLI run in this checkout reads it from there.
    const clientSettings = {
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_NAMESPACE: server.namespace,
      CASCADE_ENCRYPTION_KEYS:
        process.env.CASCADE_ENCRYPTION_KEYS ??
        sandboxSecret('encryption-keys', () => `dev:${randomBytes(32).toString('base64')}`),
      CASCADE_OTP_SECRET: process.env.CASCADE_OTP_SECRET ?? sandboxSecret('otp-secret'),
      ...(process.env.TEMPORAL_TASK_QUEUE ? { TEMPORAL_TASK_QUEUE: process.env.TEMPORAL_TASK_QUEUE } : {}),
    };
    const config = loadConfig({
      ...process.env,
      ...clientSettings,
      SMSBAT_BASE_URL: sim.url,
      SMSBAT_API_KEY: SIM_CREDENTIALS.smsbat.apiKey,
      REACH_BASE_URL: sim.url,
      REACH_API_USER: SIM_CREDENTIALS.reach.apiUser,
      REACH_API_KEY: SIM_CREDENTIALS.reach.apiKey,
      SMTP_URL: sim.smtpUrl,
      SMTP_FROM: 'sandbox@temporal-cascade.local',
      CASCADE_PUBLIC_WEBHOOK_URL: publicUrl,
      CASCADE_SMSBAT_WEBHOOK_TOKEN: sandboxSecret('smsbat-webhook-token'),
      CASCADE_RECEIPT_INDEX: `sqlite:${join(DATA, 'receipts.sqlite')}`,
      // Campaign files come from examples/ (never from .data/, which holds the sandbox's secrets).
      CASCADE_BULK_DIRS: process.env.CASCADE_BULK_DIRS ?? join(ROOT, 'examples'),
      WEBHOOK_PORT: String(ports.webhooks),
      CODEC_CORS_ORIGINS: `http://localhost:${ports.ui},http://127.0.0.1:${ports.ui}`,
    });
    const settingsFile = join(DATA, SANDBOX_SETTINGS_FILE);
    writeFileSync(
      settingsFile,
      `# Written by \`npm run dev\`: the settings a client of this sandbox needs.\n` +
        Object.entries(clientSettings)
          .map(([k, v]) => `${k}=${v}\n`)
          .join(''),
      { mode: 0o600 },
    );

    await part(
      'the codec server',
      () =>
        new CodecServer({
          codec: new EncryptionCodec(config.encryption!),
          allowOrigins: config.codecServer.allowOrigins,
        }).start(ports.codec),
      (s) => s.close(),
    );
    const connection = await part(
      'the client connection',
      () => Connection.connect({ address: server.address }),
      (c) => c.close(),
    );
    const client = new Client({ connection, namespace: server.namespace, dataConverter: dataConverterFor(config) });
    // The receipt index the worker writes and the receiver reads: a SQLite file under .data/.
    const receipts = await part(
      'the receipt index',
      () => openReceiptIndex(config.webhooks.receiptIndex),
      (r) => r.close(),
    );
    // The limit store the worker counts in (the same file): the receiver's /metrics reports its blocks.
    const limitStore = await part(
      'the limit store',
      () => openLimitStore(config.webhooks.receiptIndex, DEFAULT_LIMITS),
      (s) => s.close(),
    );
    const receiver = await part(
      'the webhook receiver',
      () =>
        new WebhookReceiver({
          client,
          publicUrl,
          smsbatToken: config.webhooks.smsbatToken,
          receipts,
          reachApiKey: config.reach?.apiKey,
          smsbatCurrency: config.smsbat?.currency,
          metricsToken: DEV_METRICS_TOKEN,
          limitStore,
          log: process.env.DEV_LOG_WEBHOOKS ? (e) => console.log(JSON.stringify(e)) : undefined,
        }).start(ports.webhooks),
      (r) => r.close(),
    );
    // SMSBAT's webhook URL is per account: the simulator plays the account manager here.
    sim.setSmsbatWebhookUrl(smsbatWebhookUrl(publicUrl, config.webhooks.smsbatToken!));
    const prometheus = await startDevPrometheus({
      port: port('DEV_PROMETHEUS_PORT', 9090),
      workerMetricsPort: port('DEV_METRICS_PORT', 9464),
      receiverUrl: receiver.url,
      dataDir: DATA,
    });
    if (prometheus) stops.push(['Prometheus', () => prometheus.stop()]);
    const { running } = await part(
      'the worker',
      async () => {
        const { worker, close } = await createCascadeWorker({ config, plugin: { receiptIndex: receipts } });
        return { worker, close, running: worker.run() };
      },
      async ({ worker, close, running }) => {
        worker.shutdown();
        await running;
        await close();
      },
    );

    banner.push(
      '',
      'temporal-cascade sandbox is up:',
      `  Temporal Web UI     ${server.uiUrl}`,
      `  Temporal gRPC       ${server.address} (namespace ${server.namespace})`,
      `  provider simulator  ${sim.url}  (SMSBAT + Reach; control API ${sim.url}/_sim/health)`,
      `  SMTP capture        ${sim.smtpUrl}`,
      `  webhook receiver    ${receiver.url}  (/webhooks/smsbat, /webhooks/reach, /healthz, /readyz)`,
      `  codec server        ${codecEndpoint}  (payloads are encrypted; the Web UI decodes through it)`,
      `  worker              task queue "${config.temporal.taskQueue}"`,
      ...(prometheus ? [`  Prometheus          ${prometheus.url}  (alerts: ${prometheus.url}/alerts)`] : []),
      `  client settings     ${settingsFile}`,
      '                      (`npm run -s cli -- …` in this checkout reads them; elsewhere:',
      `                       set -a; . ${settingsFile}; set +a)`,
      '',
      'try:  npm run -s cli -- send --to +380501234567 --text "Hello" --via smsbat --wait',
      'Ctrl-C stops everything; the next run reuses .data/.',
    );
    console.log(banner.join('\n'));
    if (process.env.DEV_DEMO !== '0') {
      const cascade = new CascadeClient({ client, taskQueue: config.temporal.taskQueue, otpSecret: config.otpSecret });
      runDemo(cascade, sim, server.uiUrl!).catch((err) => console.error(`demo failed: ${(err as Error).message}`));
    }
    await running;
  } catch (err) {
    if (stopping) return;
    console.error(err instanceof Error ? err.message : err);
    await stopAll();
    process.exit(1);
  }
}

/** A sandbox-only secret, made once and kept under .data/ (git-ignored). */
function sandboxSecret(name: string, make = () => randomBytes(32).toString('hex')): string {
  const file = join(DATA, name);
  if (!existsSync(file)) writeFileSync(file, make(), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

void main();
