import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLimitStore } from '../../src/limits/open';
import { loadLimitPolicy } from '../../src/limits/policy-file';
import { DEFAULT_LIMITS } from '../../src/shared/limits';

/**
 * `temporal-cascade guard status`, run as an operator runs it, on the SQLite file a worker counts
 * in: it says which policy it judged the next start with, and a policy file changes the verdict.
 * (Block, list and unblock against a running worker: cli.test.ts.)
 */
describe('temporal-cascade guard status and the policy it judges with', () => {
  let dir: string;
  let url: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cli-guard-'));
    url = `sqlite:${join(dir, 'cascade.sqlite')}`;
    // Three codes to three people of +38067 in the last hour, as a worker admits them.
    const worker = await openLimitStore(url, DEFAULT_LIMITS);
    for (let i = 1; i <= 3; i++) {
      const verdict = await worker.admit({
        flowKey: `otp:guard-${i}/run-1`,
        recipientKeys: [`person-${i}`],
        phone: { prefix: '+38067', country: '+380' },
      });
      expect(verdict.allowed).toBe(true);
    }
    await worker.close();
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', join(__dirname, '../../src/bin/cli.ts'), ...args],
        // Never the sandbox's settings of the checkout the tests run in.
        { env: { ...process.env, CASCADE_RECEIPT_INDEX: url, DEV_DATA_DIR: join(dir, 'no-sandbox-here') } },
        (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  }
  const policyFile = (name: string, policy: unknown) => {
    const file = join(dir, name);
    writeFileSync(file, JSON.stringify(policy));
    return file;
  };

  test("without --policy it says it judged with DEFAULT_LIMITS and how to judge with the workers' policy", async () => {
    const human = await cli('guard', 'status', '+38067');
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^\+38067: open; last hour 0\/3 verified \(0%\)$/m);
    expect(human.stdout).toMatch(/^next start: allowed$/m);
    expect(human.stdout).toMatch(/^policy: DEFAULT_LIMITS; .*--policy <file\.json>/m);
    const json = await cli('guard', 'status', '+38067', '--json');
    expect(JSON.parse(json.stdout)).toMatchObject({
      key: '+38067',
      recentFlows: 3,
      policy: 'default',
      nextStart: { allowed: true },
    });
  });

  test('the policy a worker runs with (a file both read) changes the verdict', async () => {
    const file = policyFile('tight.json', { perPrefixHour: 3 });
    // The worker's side reads the same file through the same parser.
    expect(loadLimitPolicy(file)).toEqual({ ...DEFAULT_LIMITS, perPrefixHour: 3 });
    const human = await cli('guard', 'status', '+38067', '--policy', file);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(
      /^next start: REFUSED \(prefix\) — more than 3 codes to this prefix in an hour; retry after /m,
    );
    expect(human.stdout).toContain(`policy: ${file}`);
    const json = JSON.parse((await cli('guard', 'status', '+38067', '--policy', file, '--json')).stdout);
    expect(json).toMatchObject({ policy: file, nextStart: { allowed: false, scope: 'prefix' } });

    // Monitor mode: allowed, with what enforcing would refuse.
    const watch = policyFile('watch.json', { perPrefixHour: 3, mode: 'monitor' });
    expect((await cli('guard', 'status', '+38067', '--policy', watch)).stdout).toMatch(
      /^next start: allowed \(monitor mode; would refuse: prefix — more than 3 codes/m,
    );
    // Judging counts nothing: the prefix still has its three codes.
    expect(JSON.parse((await cli('guard', 'status', '+38067', '--json')).stdout)).toMatchObject({ recentFlows: 3 });
  });

  test('a policy file with a misspelt or wrong field is refused naming it', async () => {
    const typo = await cli(
      'guard',
      'status',
      '+38067',
      '--policy',
      policyFile('typo.json', { perPrefixHuor: 3 }),
      '--json',
    );
    expect(typo.code).toBe(4);
    expect(JSON.parse(typo.stdout).error).toMatch(/typo\.json: \(file\): Unrecognized key.*perPrefixHuor/);
    const wrong = await cli(
      'guard',
      'status',
      '+38067',
      '--policy',
      policyFile('wrong.json', { conversion: { minRate: 5 } }),
      '--json',
    );
    expect(JSON.parse(wrong.stdout).error).toMatch(/wrong\.json: conversion\.minRate: /);
  });
});
