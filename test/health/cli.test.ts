import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openProviderHealth } from '../../src/health';

/** `temporal-cascade provider …`, run as an operator runs it, on the receipt index's SQLite file. */
describe('temporal-cascade provider', () => {
  let dir: string;
  let url: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cascade-provider-cli-'));
    url = `sqlite:${join(dir, 'receipts.sqlite')}`;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function cli(...args: string[]): Promise<{ code: number; out: string }> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', join(__dirname, '../../src/bin/cli.ts'), 'provider', ...args],
        // No Temporal server: the command needs only the receipt index's database.
        {
          env: {
            ...process.env,
            CASCADE_RECEIPT_INDEX: url,
            CASCADE_ENCRYPTION: 'off',
            TEMPORAL_ADDRESS: '127.0.0.1:1',
          },
        },
        (err, stdout) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout.trim() }),
      );
    });
  }

  test('open forces a provider open for every worker; auto hands it back; status shows why and since when', async () => {
    const opened = await cli('open', 'smsbat', '--json');
    expect(opened.code).toBe(0);
    expect(JSON.parse(opened.out)).toEqual([
      expect.objectContaining({ key: 'smsbat', state: 'open', mode: 'open', reason: 'forced open by cli' }),
    ]);
    const worker = await openProviderHealth(url, { autoFlush: false, log: () => undefined });
    try {
      expect(await worker.decide(['smsbat', 'smsbat/standard'], true)).toMatchObject({ send: false, forced: true });
      expect((await cli('status')).out).toMatch(/^smsbat: open \(forced open\) since \S+: forced open by cli/);
      expect((await cli('auto', 'smsbat')).code).toBe(0);
      expect(await worker.decide(['smsbat', 'smsbat/standard'], true)).toEqual({ send: true });
    } finally {
      await worker.close();
    }
  });

  test('an unknown provider or command is a usage error (exit 2)', async () => {
    expect((await cli('open', 'twilio')).code).toBe(2);
    expect((await cli('reboot', 'smsbat')).code).toBe(2);
    expect((await cli('open')).code).toBe(2);
  });
});
