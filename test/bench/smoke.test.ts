import { formatReport, runBench } from '../../bench/harness';
import { SHARED_DEV_SERVER_ENV } from '../../src/testing/environment';

/** The bench is not a test, but its harness must not rot: run it at a tiny size. */
describe('bench harness (tiny)', () => {
  test('measures every scenario against its baselines', async () => {
    const report = await runBench({
      flows: 3,
      concurrency: 3,
      webhookBurst: 8,
      address: process.env[SHARED_DEV_SERVER_ENV],
    });
    expect(Object.keys(report.sections)).toEqual([
      'engine baseline',
      'HTTP baseline',
      'happy path',
      'fallback path',
      'OTP',
      'webhook load',
    ]);
    for (const figures of Object.values(report.sections)) {
      for (const value of Object.values(figures)) expect(Number.isFinite(value)).toBe(true);
    }
    expect(report.sections['happy path'].historyEventsPerFlow).toBeGreaterThan(5);
    expect(report.sections['webhook load']).toMatchObject({
      accepted200: 4,
      rejected401: 2,
      rejected400: 2,
      flowsDelivered: 2,
    });
    expect(report.targets).toHaveLength(3);
    expect(formatReport(report)).toMatch(/targets/);
  }, 120_000);
});
