import { ApplicationFailure } from '@temporalio/common';
import { formatEntry } from '../../scripts/dev-log';
import { inUserTerms, isoTimes, progressBar } from '../../src/cli/format';
import { run } from '../../src/cli/run';

/** What the CLI and the sandbox print for people: pure functions, no server. */
describe('output for people', () => {
  test('epoch-millisecond times become ISO 8601, nested too; other numbers stay', () => {
    const at = Date.UTC(2026, 11, 7, 10, 0, 0);
    expect(isoTimes({ expiresAt: at, sends: 2, delivery: { attempts: [{ settledAt: at }] } })).toEqual({
      expiresAt: '2026-12-07T10:00:00.000Z',
      sends: 2,
      delivery: { attempts: [{ settledAt: '2026-12-07T10:00:00.000Z' }] },
    });
  });

  test('validation issues name the flag the user wrote', () => {
    expect(inUserTerms({ path: 'recipient.phone', message: 'must be E.164' })).toBe(
      '--to (recipient.phone): must be E.164',
    );
    expect(inUserTerms({ path: 'steps.0.channel', message: 'Invalid discriminator value' })).toBe(
      '--via (steps.0.channel): unknown channel: use smsbat, reach or email',
    );
    expect(inUserTerms({ path: 'steps.1.channel', message: 'a email step needs recipient.email' })).toBe(
      '--via (steps.1.channel): an email step needs --email',
    );
    expect(inUserTerms({ path: 'steps.0.fromName', message: 'too long' })).toMatch(/^--from-name /);
  });

  test('the progress bar keeps its width from start to end', () => {
    const widths = [
      { total: 5, sent: 0, delivered: 0, failed: 0, pending: 0, queued: 5, paused: false, canceled: false },
      { total: 5, sent: 5, delivered: 2, failed: 0, pending: 3, queued: 0, paused: false, canceled: false },
      // A campaign's final counts: every message sent, one of them failed (the bar was wider here).
      { total: 5, sent: 5, delivered: 4, failed: 1, pending: 0, queued: 0, paused: false, canceled: false },
    ].map((p) => /^\[[^\]]*\]/.exec(progressBar(p))![0].length);
    expect(new Set(widths).size).toBe(1);
  });

  test('the sandbox logs a failed activity attempt in one line: activity, attempt, flow, reason; no stack, no task token', () => {
    const error = ApplicationFailure.nonRetryable('the file is outside CASCADE_BULK_DIRS', 'BulkSourceRefused');
    const line = formatEntry({
      level: 'WARN',
      message: 'Activity failed',
      timestampNanos: BigInt(Date.UTC(2026, 11, 7)) * 1_000_000n,
      meta: { error, activityType: 'countBulkSource', attempt: 1, workflowId: 'bulk:x', taskToken: 'c2VjcmV0' },
    });
    expect(line).toBe(
      '2026-12-07T00:00:00.000Z WARN activity countBulkSource failed (attempt 1) in bulk:x: the file is outside CASCADE_BULK_DIRS',
    );
  });

  test('usage errors need no server: exit 2, the command usage line on stderr or one JSON line on stdout', async () => {
    const out: string[] = [];
    const err: string[] = [];
    expect(await run(['otp', 'verify'], { out: (l) => out.push(l), err: (l) => err.push(l) })).toBe(2);
    expect(out).toEqual([]);
    expect(err.join('\n')).toMatch(/^error: missing <id>\nusage:\n {2}temporal-cascade otp start/);
    expect(
      await run(['--via', 'smsbat', 'bulk', '--wait', '--json'], { out: (l) => out.push(l), err: (l) => err.push(l) }),
    ).toBe(2);
    expect(JSON.parse(out[0])).toMatchObject({ exitCode: 2, error: 'bulk takes no --wait' });
  });
});
