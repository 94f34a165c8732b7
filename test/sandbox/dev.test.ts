import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { request } from 'undici';
import { findPrometheus } from '../../scripts/prometheus';
import { freePort } from '../../src/testing/dev-server';

const ROOT = join(__dirname, '../..');

/** The user's environment without anything that configures temporal-cascade: what a fresh shell has. */
function cleanEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !/^(CASCADE_|TEMPORAL_|SMSBAT_|REACH_|SMTP_|WEBHOOK_|CODEC_|DEV_)/.test(k)) env[k] = v;
  }
  return { ...env, ...extra };
}

async function devPorts(): Promise<Record<string, string>> {
  return {
    DEV_TEMPORAL_PORT: String(await freePort()),
    DEV_UI_PORT: String(await freePort()),
    DEV_SIM_PORT: String(await freePort()),
    DEV_SMTP_PORT: String(await freePort()),
    DEV_WEBHOOK_PORT: String(await freePort()),
    DEV_CODEC_PORT: String(await freePort()),
    DEV_METRICS_PORT: String(await freePort()),
    DEV_PROMETHEUS_PORT: String(await freePort()),
  };
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

function listening(port: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(Number(port), '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Every process's arguments on this machine (Linux /proc), to show what `ps` would. */
function allArgv(): string[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map((d) => {
      try {
        return readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' ');
      } catch {
        return '';
      }
    });
}

function collect(child: ChildProcess): () => string {
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  return () => output;
}

/** Whatever a failed test left running is stopped (SIGTERM: the sandbox's own clean stop). */
const started: ChildProcess[] = [];
afterAll(async () => {
  for (const child of started) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const done = exitCode(child);
    child.kill('SIGTERM');
    await done;
  }
});

/** `npm run dev`, as a user runs it: everything up, the demo flow done, Ctrl-C, and a second run. */
describe('npm run dev (the sandbox)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cascade-dev-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  async function startSandbox(extra: Record<string, string>) {
    const ports = await devPorts();
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/dev.ts')], {
      env: { ...process.env, ...ports, DEV_DATA_DIR: dataDir, ...extra },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    started.push(child);
    return { child, ports, output: collect(child) };
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
    const decode = (origin: string) =>
      request(`http://127.0.0.1:${first.ports.DEV_CODEC_PORT}/decode`, {
        method: 'POST',
        body: JSON.stringify({ payloads: [] }),
        headers: { 'content-type': 'application/json', origin },
      });
    // The codec server answers the Web UI's origin, and no other.
    expect((await decode(uiOrigin)).statusCode).toBe(200);
    expect((await decode('http://evil.example')).statusCode).toBe(403);

    // No secret of the sandbox in any process's arguments, nor in what the Web UI serves.
    const secrets = ['encryption-keys', 'otp-secret', 'smsbat-webhook-token'].map((name) =>
      readFileSync(join(dataDir, name), 'utf8').trim().replace(/^dev:/, ''),
    );
    const argv = allArgv().join('\n');
    expect(argv).toContain(`--db-filename ${join(dataDir, 'temporal.sqlite')}`); // we do see the dev server's
    for (const secret of secrets) expect(argv).not.toContain(secret);
    const settings = await (await request(`http://127.0.0.1:${first.ports.DEV_UI_PORT}/api/v1/settings`)).body.text();
    expect(settings).toContain(`127.0.0.1:${first.ports.DEV_CODEC_PORT}`);
    for (const secret of secrets) expect(settings).not.toContain(secret);

    // The demo: SMSBAT and Reach fail for its own number, email delivers, the code is verified.
    const [, demoPhone] = await waitForOutput(first.output, /demo: an OTP flow to (\+\d+)/, 30_000);
    expect(demoPhone).not.toBe('+380501234567'); // the README's examples' number keeps behaving as written
    const [, demoId] = await waitForOutput(first.output, /demo: OTP flow (\S+)/, 30_000);
    await waitForOutput(
      first.output,
      /SMSBAT failed, Reach failed, email delivered, the code was verified: approved/,
      90_000,
    );

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
  }, 240_000);
});

/** The README's "Try it in two minutes", line by line, in a shell with nothing exported, through npm. */
describe('README: try it in two minutes', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cascade-tryit-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  /** The lines after the README's try-it marker: each command with the output the README shows for it. */
  function tryItLines(): { args: string[]; expected: RegExp }[] {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const block = /<!-- try-it[^]*?```sh\n([^]*?)```/.exec(readme)![1];
    const lines = block.split('\n').filter(Boolean);
    const out: { args: string[]; expected: RegExp }[] = [];
    for (let i = 0; i < lines.length; i += 2) {
      expect(lines[i]).toMatch(/^npm run -s cli -- /);
      expect(lines[i + 1]).toMatch(/^# /);
      const args = [...lines[i].matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]);
      const shown = lines[i + 1]
        .slice(2)
        .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
        .replace(/…/g, '.*');
      out.push({ args, expected: new RegExp(`^${shown}`, 'm') });
    }
    return out;
  }

  function run(
    cmd: string,
    args: string[],
    env: Record<string, string>,
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(cmd, args, { cwd: ROOT, env }, (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  }

  test('its CLI lines work against `npm run dev` as written; SIGTERM to npm frees every port', async () => {
    const lines = tryItLines();
    expect(lines.length).toBeGreaterThanOrEqual(3);
    const ports = await devPorts();
    // DEV_* only moves the ports and .data/ (others' sandboxes may hold the defaults); no key is exported.
    const env = cleanEnv({ DEV_DATA_DIR: dataDir, DEV_DEMO: '0' });
    const npm = spawn('npm', ['run', 'dev'], {
      cwd: ROOT,
      env: { ...env, ...ports },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    started.push(npm);
    const output = collect(npm);
    const exited = exitCode(npm);
    try {
      await waitForOutput(output, /sandbox is up/, 90_000);
      for (const { args, expected } of lines) {
        const result = await run(args[0], args.slice(1), env);
        expect({ line: args.join(' '), code: result.code, stderr: result.stderr }).toEqual({
          line: args.join(' '),
          code: 0,
          stderr: '',
        });
        expect(result.stdout).toMatch(expected);
      }

      // A campaign that fails: its id and reason on the command line; one line in the sandbox's log.
      const badFile = await run('npm', ['run', '-s', 'cli', '--', 'bulk', 'README.md', '--bulk-id', 'outside'], env);
      expect(badFile.code).toBe(1);
      expect(badFile.stderr).toMatch(/^error: bulk:outside failed: \S/);
      await waitForOutput(output, /WARN activity [\w.]+ failed \(attempt 1\) in bulk:outside: \S/, 10_000);
      expect(output()).not.toMatch(/\n\s+at /); // no stack trace

      // Without the sandbox's settings and keys, against the same server: exit 4 before anything is sent.
      const phone = '+380501230042';
      const bare = await run(
        process.execPath,
        ['--import', 'tsx', 'src/bin/cli.ts', 'send', '--to', phone, '--text', 'x', '--wait', '--json'],
        cleanEnv({
          DEV_DATA_DIR: join(dataDir, 'none'),
          TEMPORAL_ADDRESS: `127.0.0.1:${ports.DEV_TEMPORAL_PORT}`,
          CASCADE_ENCRYPTION: 'off',
        }),
      );
      expect(bare.code).toBe(4);
      expect(JSON.parse(bare.stdout).error).toMatch(/encrypt payloads and this client has no keys/);
      const sent = (await (await request(`http://127.0.0.1:${ports.DEV_SIM_PORT}/_sim/messages`)).body.json()) as {
        recipient: string;
      }[];
      expect(sent.filter((m) => m.recipient === phone)).toHaveLength(0);
    } finally {
      // What an IDE, a supervisor or `timeout` does: SIGTERM to the process it started (npm).
      npm.kill('SIGTERM');
      await exited;
      const until = Date.now() + 30_000;
      let held = Object.values(ports);
      while (held.length > 0 && Date.now() < until) {
        held = (await Promise.all(held.map(async (p) => ((await listening(p)) ? p : undefined)))).filter(
          (p): p is string => p !== undefined,
        );
        if (held.length > 0) await new Promise((r) => setTimeout(r, 250));
      }
      expect(held).toEqual([]);
    }
  }, 240_000);
});
