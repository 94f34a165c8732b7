import { execFile } from 'node:child_process';
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

  function cli(...args: string[]): Promise<{ code: number; lines: string[] }> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', join(__dirname, '../../src/bin/cli.ts'), ...args],
        {
          env: {
            ...process.env,
            ...simEnv(t.h.sim),
            TEMPORAL_ADDRESS: process.env[SHARED_DEV_SERVER_ENV] ?? t.env.address,
            TEMPORAL_TASK_QUEUE: t.h.taskQueue,
            CASCADE_RECEIPT_INDEX: `sqlite:${limitsFile}`,
          },
        },
        (err, stdout) => {
          const code = err ? ((err as { code?: number }).code ?? 1) : 0;
          resolve({ code, lines: stdout.trim().split('\n').filter(Boolean) });
        },
      );
    });
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
    const right = await cli('otp', 'verify', id, codeSent);
    expect(right.code).toBe(0);
    expect(right.lines[0]).toMatch(/^approved/);
  });

  test('bad input exits 2 naming the field; an unknown flow exits 3', async () => {
    const bad = await cli('send', '--to', '0501234567', '--text', 'x', '--json');
    expect(bad.code).toBe(2);
    expect(json(bad.lines[0]).error).toMatch(/recipient\.phone/);
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
    const rows = Array.from({ length: 300 }, (_, i) => `c-${i},+38063${5000001 + i * 10},Hello ${i}`);
    writeFileSync(file, `id,phone,text\n${rows.join('\n')}\n`);
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
      uniqueId('cli'),
      '--json',
    );
    expect(code).toBe(0);
    const progress = lines.filter((l) => l.includes('"progress"'));
    expect(progress.length).toBeGreaterThan(0);
    expect(json(lines.at(-1)!)).toMatchObject({ total: 300, sent: 300, delivered: 300, failed: 0 });
  }, 60_000);
});
