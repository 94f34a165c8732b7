import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteLimitBackend } from '../../src/limits/sqlite';
import { LimitStore } from '../../src/limits/store';
import { DEFAULT_LIMITS } from '../../src/shared/limits';
import { SHARED_DEV_SERVER_ENV } from '../../src/testing/environment';
import { simEnv, uniqueId, uniquePhone, useLocalHarness } from '../support/cascade';

/** The `temporal-cascade` command, run as a user runs it, against the dev server. */
describe('temporal-cascade CLI', () => {
  // The worker counts its limits in a SQLite file; the CLI's guard commands open the same file.
  const limitsFile = join(mkdtempSync(join(tmpdir(), 'cli-limits-')), 'cascade.sqlite');
  const t = useLocalHarness({
    env: { CASCADE_BULK_DIRS: tmpdir() },
    limitStore: new LimitStore(new SqliteLimitBackend(new Database(limitsFile)), DEFAULT_LIMITS),
  });

  type Run = { code: number; lines: string[]; stderr: string };
  function cliWith(options: { env?: Record<string, string>; stdin?: string }, ...args: string[]): Promise<Run> {
    return new Promise((resolve) => {
      const child = execFile(
        process.execPath,
        ['--import', 'tsx', join(__dirname, '../../src/bin/cli.ts'), ...args],
        {
          env: {
            ...process.env,
            ...simEnv(t.h.sim),
            TEMPORAL_ADDRESS: process.env[SHARED_DEV_SERVER_ENV] ?? t.env.address,
            TEMPORAL_TASK_QUEUE: t.h.taskQueue,
            CASCADE_RECEIPT_INDEX: `sqlite:${limitsFile}`,
            // Never the sandbox's settings of the checkout the tests run in.
            DEV_DATA_DIR: join(tmpdir(), 'no-sandbox-here'),
            ...options.env,
          },
        },
        (err, stdout, stderr) => {
          const code = err ? ((err as { code?: number }).code ?? 1) : 0;
          resolve({ code, lines: stdout.trim().split('\n').filter(Boolean), stderr });
        },
      );
      child.stdin!.end(options.stdin ?? '');
    });
  }
  const cli = (...args: string[]) => cliWith({}, ...args);
  async function sentTo(provider: 'smsbat' | 'reach', phone: string): Promise<string> {
    for (let i = 0; i < 400; i++) {
      const text = t.h.sim.messages(provider).find((m) => m.recipient === phone)?.text;
      if (text) return text;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`nothing reached ${provider} for ${phone}`);
  }
  const json = (line: string) => JSON.parse(line) as Record<string, unknown>;

  test('send --wait reports the delivery; exit 0', async () => {
    const phone = uniquePhone();
    const { code, lines } = await cli(
      'send',
      '--to',
      phone,
      '--email',
      'cli@example.com',
      '--text',
      'Hello from the CLI',
      '--via',
      'smsbat,email',
      '--from-name',
      'Shop',
      '--wait',
      '--json',
    );
    expect(code).toBe(0);
    expect(json(lines.at(-1)!)).toMatchObject({ status: 'delivered', deliveredBy: { channel: 'smsbat' } });
    expect(t.h.sim.messages('smsbat').find((m) => m.recipient === phone)?.text).toBe('Hello from the CLI');
  });

  test('otp start, a wrong code (exit 1), the right code (exit 0)', async () => {
    const phone = uniquePhone();
    const started = await cli('otp', 'start', '--to', phone, '--via', 'reach', '--template', 'Code {code}', '--json');
    expect(started.code).toBe(0);
    const { id } = json(started.lines[0]) as { id: string };
    let text: string | undefined;
    for (let i = 0; i < 200 && !text; i++) {
      text = t.h.sim.messages('reach').find((m) => m.recipient === phone)?.text;
      if (!text) await new Promise((r) => setTimeout(r, 50));
    }
    const codeSent = /(\d{6})/.exec(text!)![1];
    const wrong = await cli('otp', 'verify', id, codeSent === '000000' ? '111111' : '000000', '--json');
    expect(wrong.code).toBe(1);
    expect(json(wrong.lines[0])).toEqual({ status: 'incorrect', attemptsLeft: 4 });
    // The code from stdin, not the command line (where `ps` would show it).
    const right = await cliWith({ stdin: `${codeSent}\n` }, 'otp', 'verify', id);
    expect(right.code).toBe(0);
    expect(right.lines[0]).toMatch(/^approved/);
  });

  test('usage errors exit 2 with the usage line, and under --json one JSON document on stdout only', async () => {
    const human = await cli('send', '--to', '+380501234567', '--fromname', 'Shop');
    expect(human.code).toBe(2);
    expect(human.stderr).toMatch(/Unknown option '--fromname'[\s\S]*usage:[\s\S]*temporal-cascade send --to/);
    expect(human.lines).toEqual([]);
    const asJson = await cli('send', '--to', '+380501234567', '--fromname', 'Shop', '--json');
    expect(asJson.code).toBe(2);
    expect(asJson.lines).toHaveLength(1);
    expect(json(asJson.lines[0])).toMatchObject({ exitCode: 2, error: expect.stringMatching(/--fromname/) });
    expect(asJson.stderr).toBe('');
    expect((await cli('frobnicate', '--json')).code).toBe(2);
    // Input errors name the flag the user wrote.
    const via = await cli('send', '--to', '+380501234567', '--text', 'x', '--via', 'sms', '--json');
    expect(via.code).toBe(2);
    expect(json(via.lines[0]).error).toMatch(/--via: unknown channel "sms"/);
    const email = await cli('send', '--to', '+380501234567', '--text', 'x', '--via', 'email', '--json');
    expect(json(email.lines[0]).error).toMatch(/--via \(steps\.0\.channel\): an email step needs --email/);
  });

  test('setup registers the search attributes without encryption settings', async () => {
    const setup = await cliWith({ env: { CASCADE_ENCRYPTION: '', CASCADE_OTP_SECRET: '' } }, 'setup', '--json');
    expect(setup.code).toBe(0);
    expect(json(setup.lines[0])).toMatchObject({ namespace: 'default', added: [] });
  });

  test('a failed send exits 1 naming the flow and the reason', async () => {
    const phone = uniquePhone().replace(/\d{3}$/, '998'); // the simulator fails it at the provider
    const failed = await cli('send', '--to', phone, '--text', 'x', '--via', 'smsbat', '--timeout', '20s', '--wait');
    expect(failed.code).toBe(1);
    expect(failed.lines.at(-1)).toMatch(/^deliver:cli-\S+: failed — smsbat: failed/);
  });

  test('a resend during the cooldown exits 5 with the time it is accepted from', async () => {
    const phone = uniquePhone();
    const started = await cli('otp', 'start', '--to', phone, '--via', 'reach', '--json');
    const { id } = json(started.lines[0]) as { id: string };
    await sentTo('reach', phone);
    const refused = await cli('otp', 'resend', id, '--json');
    expect(refused.code).toBe(5);
    const body = json(refused.lines[0]) as { error: string; retryAt: string };
    expect(body.error).toMatch(/cooldown/);
    expect(Date.parse(body.retryAt)).toBeGreaterThan(Date.now());
  });

  test('a limit refusal exits 5 with the time it lifts (the defaults: 5 codes an hour per recipient)', async () => {
    const phone = uniquePhone();
    for (let i = 0; i < 5; i++) {
      expect((await cli('otp', 'start', '--to', phone, '--via', 'smsbat', '--json')).code).toBe(0);
    }
    const refused = await cli('otp', 'start', '--to', phone, '--via', 'smsbat', '--json');
    expect(refused.code).toBe(5);
    const body = json(refused.lines[0]) as { error: string; retryAt: string };
    expect(body.error).toMatch(/refused \(recipient\): more than 5 codes in an hour; retry after \d{4}-/);
    expect(Date.parse(body.retryAt)).toBeGreaterThan(Date.now() + 50 * 60_000);
  });

  test('keys that do not match the workers: exit 4 before anything is sent', async () => {
    await cli('send', '--to', uniquePhone(), '--text', 'x', '--via', 'smsbat', '--wait'); // the workers' payloads (in clear)
    const phone = uniquePhone();
    const mismatched = await cliWith(
      { env: { CASCADE_ENCRYPTION: 'on', CASCADE_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}` } },
      ...['send', '--to', phone, '--text', 'x', '--via', 'smsbat', '--wait', '--json'],
    );
    expect(mismatched.code).toBe(4);
    expect(json(mismatched.lines[0]).error).toMatch(/store payloads in clear/);
    await new Promise((r) => setTimeout(r, 1000));
    expect(t.h.sim.messages('smsbat').filter((m) => m.recipient === phone)).toHaveLength(0);
  });

  test('bad input exits 2 naming the field; an unknown flow exits 3', async () => {
    const bad = await cli('send', '--to', '0501234567', '--text', 'x', '--json');
    expect(bad.code).toBe(2);
    expect(json(bad.lines[0]).error).toMatch(/recipient\.phone/);
    expect(json(bad.lines[0]).error).toMatch(/^--to \(recipient\.phone\)/);
    const missing = await cli('status', 'deliver:no-such-flow', '--json');
    expect(missing.code).toBe(3);
  });

  test('guard: an operator blocks a prefix, lists the blocks, unblocks it', async () => {
    const blocked = await cli('guard', 'block', '+38097', '--reason', 'fraud review', '--json');
    expect(blocked.code).toBe(0);
    expect(json(blocked.lines[0])).toMatchObject({ blocked: true, reason: expect.stringMatching(/fraud review/) });
    const list = await cli('guard', 'list');
    expect(list.lines).toEqual([
      expect.stringMatching(/^\+38097: BLOCKED since .* until unblocked — blocked by cli:.*fraud review/),
    ]);
    expect((await cli('guard', 'status', 'not-a-prefix')).code).toBe(2);
    const refused = await cli('otp', 'start', '--to', '+380977000001', '--via', 'smsbat', '--json');
    expect(refused.code).toBe(1);
    expect(json(refused.lines[0]).error).toMatch(/prefix/);
    const open = await cli('guard', 'unblock', '+38097', '--json');
    expect(json(open.lines[0])).toMatchObject({ blocked: false });
  });

  test('bulk shows progress and ends with every message accounted for', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-bulk-'));
    const file = join(dir, 'list.csv');
    const rows = Array.from({ length: 40 }, (_, i) => `c-${i},+38063${5000001 + i * 10},Hello ${i}`);
    // One number the simulator fails: a completed campaign still exits 0, its failure counted.
    writeFileSync(file, `id,phone,text\n${rows.join('\n')}\nc-x,+380639999998,Hello\n`);
    const bulkId = uniqueId('cli');
    const { code, lines } = await cli(
      'bulk',
      file,
      '--via',
      'smsbat',
      '--from-name',
      'Shop',
      '--rate',
      '200',
      '--bulk-id',
      bulkId,
      '--json',
    );
    expect(code).toBe(0);
    const progress = lines.filter((l) => l.includes('"progress"'));
    expect(progress.length).toBeGreaterThan(0);
    expect(json(lines.at(-1)!)).toMatchObject({ total: 41, sent: 41, delivered: 40, failed: 1 });

    // status answers for the campaign and for its chunks, in words and in JSON.
    const campaign = await cli('status', `bulk:${bulkId}`, '--json');
    expect(campaign.code).toBe(0);
    expect(json(campaign.lines[0])).toMatchObject({
      kind: 'campaign',
      execution: 'COMPLETED',
      progress: { failed: 1 },
    });
    const chunk = await cli('status', `bulk:${bulkId}:chunk:0`);
    expect(chunk.code).toBe(0);
    expect(chunk.lines[0]).toMatch(/campaign chunk, completed; started \d{4}-\d\d-\d\dT/);
  }, 60_000);
});
