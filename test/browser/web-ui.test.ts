import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { chromium, type Browser } from 'playwright-core';
import { dataConverterFor } from '../../src/codec/data-converter';
import { EncryptionCodec } from '../../src/codec/encryption-codec';
import { CodecServer } from '../../src/codec/server';
import { CascadeClient } from '../../src/client';
import { loadConfig } from '../../src/config';
import { CascadePlugin } from '../../src/worker/plugin';
import { startSimulator, type Simulator } from '../../src/sim/server';
import { freePort, startDevServer, type RunningDevServer } from '../../src/testing/dev-server';
import { simEnv, TEST_OTP_SECRET, uniquePhone } from '../support/cascade';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts');

/**
 * A real browser on the dev server's Web UI: with the codec server, an operator sees the OTP
 * flow's decoded input; with the codec endpoint removed, no phone number or text in clear.
 * `.ci/run` installs Debian's chromium; elsewhere the test needs CHROMIUM_PATH.
 */
const maybe = existsSync(CHROMIUM) || process.env.CI ? describe : describe.skip;

maybe('Temporal Web UI with the codec server (headless Chromium)', () => {
  const db = join(mkdtempSync(join(tmpdir(), 'ui-')), 'temporal.sqlite');
  let sim: Simulator;
  let browser: Browser;
  let server: RunningDevServer | undefined;

  beforeAll(async () => {
    sim = await startSimulator({ deliveryDelayMs: 0 });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await sim?.close();
    rmSync(db, { force: true });
  });

  test('decoded through the codec server; ciphertext without it', async () => {
    const keys = `ui:${randomBytes(32).toString('base64')}`;
    const phone = uniquePhone();
    const template = `Your code for Cascade UI check ${randomUUID().slice(0, 8)} is {code}`;
    const uiPort = await freePort();
    const temporalPort = await freePort();
    const uiOrigin = `http://localhost:${uiPort}`;
    const config = loadConfig({
      ...simEnv(sim),
      CASCADE_ENCRYPTION_KEYS: keys,
      TEMPORAL_TASK_QUEUE: `ui-${randomUUID()}`,
    });
    const codec = await new CodecServer({
      codec: new EncryptionCodec(config.encryption!),
      allowOrigins: [uiOrigin, `http://127.0.0.1:${uiPort}`],
    }).start();

    server = await startDevServer({ port: temporalPort, uiPort, dbFilename: db, codecEndpoint: codec.url });
    const nativeConnection = await NativeConnection.connect({ address: server.address });
    const connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection, dataConverter: dataConverterFor(config) });
    const codePath = process.env.TEMPORAL_CASCADE_TEST_BUNDLE;
    const worker = await Worker.create({
      connection: nativeConnection,
      taskQueue: config.temporal.taskQueue,
      plugins: [new CascadePlugin({ config })],
      ...(codePath ? { workflowBundle: { codePath } } : {}),
    });
    const cascade = new CascadeClient({ client, taskQueue: config.temporal.taskQueue, otpSecret: TEST_OTP_SECRET });
    const { id } = await worker.runUntil(async () => {
      const started = await cascade.startOtp({
        trackingId: `ui-${randomUUID()}`,
        recipient: { phone },
        steps: [{ channel: 'smsbat', fromName: 'MyApp' }],
        template,
      });
      for (let i = 0; i < 200 && !sim.messages('smsbat').some((m) => m.recipient === phone); i++) {
        await new Promise((r) => setTimeout(r, 25));
      }
      await cascade.cancel(started.id);
      await cascade.result(started.id);
      return started;
    });
    await nativeConnection.close();
    await connection.close();

    const page = await browser.newPage();
    const url = `${uiOrigin}/namespaces/default/workflows/${encodeURIComponent(id)}`;
    await page.goto(url);
    await page.getByText(phone).first().waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'web-ui-decoded.png'), fullPage: true });
    expect(await page.content()).toContain(template.split(' {code}')[0]);

    // The same history, served without the codec endpoint: nothing readable.
    await server.stop();
    await codec.close();
    server = await startDevServer({ port: temporalPort, uiPort, dbFilename: db });
    await page.goto(url);
    await page.getByText(id).first().waitFor({ timeout: 30_000 });
    await page.waitForTimeout(3000);
    await page.screenshot({ path: join(ARTIFACTS, 'web-ui-encrypted.png'), fullPage: true });
    const html = await page.content();
    expect(html).not.toContain(phone);
    expect(html).not.toContain(template.split(' {code}')[0]);
  }, 120_000);
});
