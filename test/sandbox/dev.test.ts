import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { request } from 'undici';
import { findPrometheus } from '../../scripts/prometheus';
import { freePort } from '../../src/testing/dev-server';

/** `npm run dev`, as a user runs it: everything up, the demo flow done, Ctrl-C, and a second run. */
describe('npm run dev (the sandbox)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cascade-dev-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  async function startSandbox(extra: Record<string, string>) {
    const ports = {
      DEV_TEMPORAL_PORT: String(await freePort()),
      DEV_UI_PORT: String(await freePort()),
      DEV_SIM_PORT: String(await freePort()),
      DEV_SMTP_PORT: String(await freePort()),
      DEV_WEBHOOK_PORT: String(await freePort()),
      DEV_CODEC_PORT: String(await freePort()),
      DEV_METRICS_PORT: String(await freePort()),
      DEV_PROMETHEUS_PORT: String(await freePort()),
    };
    const child = spawn(process.execPath, [require.resolve('tsx/cli'), join(__dirname, '../../scripts/dev.ts')], {
      env: { ...process.env, ...ports, DEV_DATA_DIR: dataDir, ...extra },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    return { child, ports, output: () => output };
  }

  async function waitForOutput(get: () => string, pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const m = get().match(pattern);
      if (m) return m;
      if (Date.now() > until) throw new Error(`no ${pattern} in:\n${get()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  function exitCode(child: ChildProcess): Promise<number | null> {
    return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  test('brings up the Web UI, the simulator and the receiver, runs the demo, stops on Ctrl-C, keeps its database', async () => {
    const first = await startSandbox({});
    await waitForOutput(first.output, /sandbox is up/, 60_000);
    expect((await request(`http://127.0.0.1:${first.ports.DEV_UI_PORT}/`)).statusCode).toBe(200);
    expect((await request(`http://127.0.0.1:${first.ports.DEV_SIM_PORT}/_sim/health`)).statusCode).toBe(200);
    expect((await request(`http://127.0.0.1:${first.ports.DEV_WEBHOOK_PORT}/readyz`)).statusCode).toBe(200);
    if (findPrometheus()) {
      // Prometheus beside the sandbox, its URL printed, scraping the worker and the receiver.
      const url = `http://127.0.0.1:${first.ports.DEV_PROMETHEUS_PORT}`;
      expect(first.output()).toContain(`Prometheus          ${url}`);
      const up = async () => {
        const res = await request(`${url}/api/v1/query?query=${encodeURIComponent('sum(up)')}`);
        return Number(
          ((await res.body.json()) as { data: { result: { value: [number, string] }[] } }).data.result[0]?.value[1],
        );
      };
      for (let i = 0; (await up()) !== 2; i++) {
        if (i > 100) throw new Error('Prometheus does not scrape the worker and the receiver');
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    const uiOrigin = `http://localhost:${first.ports.DEV_UI_PORT}`;
    const preflight = await request(`http://127.0.0.1:${first.ports.DEV_CODEC_PORT}/decode`, {
      method: 'OPTIONS',
      headers: { origin: uiOrigin, 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers['access-control-allow-origin']).toBe(uiOrigin);
    // The codec server decrypts only for the bearer of the sandbox's token (which the UI's endpoint carries).
    const decode = (path: string) =>
      request(`http://127.0.0.1:${first.ports.DEV_CODEC_PORT}${path}`, {
        method: 'POST',
        body: JSON.stringify({ payloads: [] }),
        headers: { 'content-type': 'application/json' },
      });
    expect((await decode('/decode')).statusCode).toBe(401);
    const [, endpoint] = await waitForOutput(first.output, /codec server\s+(http:\/\/\S+)/, 1000);
    expect((await decode(`${new URL(endpoint).pathname}/decode`)).statusCode).toBe(200);

    // The demo: SMSBAT fails, Reach delivers, the code is verified.
    const [, demoId] = await waitForOutput(first.output, /demo: OTP flow (\S+)/, 30_000);
    await waitForOutput(first.output, /SMSBAT failed, Reach delivered, the code was verified: approved/, 60_000);

    const exited = exitCode(first.child);
    first.child.kill('SIGINT');
    expect(await exited).toBe(0);
    // Ctrl-C is a clean stop: no error, no stack trace.
    expect(first.output().split('stopping…')[1]).not.toMatch(/error|\n\s+at /i);

    // A second run reuses the database: the first run's demo flow is still there, and the new
    // demo reports within seconds.
    const second = await startSandbox({});
    await waitForOutput(second.output, /sandbox is up/, 60_000);
    await waitForOutput(second.output, /demo: OTP flow|demo: the flow did not start/, 20_000);
    expect(second.output()).toMatch(/demo: OTP flow/);
    const connection = await Connection.connect({ address: `127.0.0.1:${second.ports.DEV_TEMPORAL_PORT}` });
    try {
      const described = await new Client({ connection }).workflow.getHandle(demoId).describe();
      expect(described.status.name).toBe('COMPLETED');
      expect(described.type).toBe('otpVerification');
    } finally {
      await connection.close();
      const done = exitCode(second.child);
      second.child.kill('SIGINT');
      expect(await done).toBe(0);
    }
  }, 180_000);
});
