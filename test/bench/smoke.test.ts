import { formatReport, runBench } from '../../bench/harness';
import { SHARED_DEV_SERVER_ENV } from '../../src/testing/environment';

/** The bench is not a test, but its harness must not rot: run it at a tiny size. */
describe('bench harness (tiny)', () => {
  test('measures every scenario against its baselines', async () => {
    const report = await runBench({
      flows: 3,
      concurrency: 3,
      webhookBurst: 8,
      inFlight: 4,
      bulk: 300,
      bulkWebhooks: 200,
      indexOps: 200,
      metricsOverhead: 4,
      flood: 30,
      address: process.env[SHARED_DEV_SERVER_ENV],
    });
    expect(Object.keys(report.sections)).toEqual([
      'engine baseline',
      'HTTP baseline',
      'happy path',
      'fallback path',
      'OTP',
      'abuse limits: OTP on vs off',
      'webhook load',
      'in flight',
      'bulk',
      'bulk with webhooks',
      'receipt index (SQLite)',
      'receipt index (PostgreSQL)',
      'abuse limits: rules',
      'limit store (SQLite)',
      'limit store (PostgreSQL)',
      'metrics overhead',
      'unknown-id flood',
    ]);
    for (const [section, figures] of Object.entries(report.sections)) {
      for (const [name, value] of Object.entries(figures)) {
        // The shared dev server keeps its database in memory: no file to measure.
        if (section === 'in flight' && name === 'serverDbGrowthMB') continue;
        expect([section, name, Number.isFinite(value)]).toEqual([section, name, true]);
      }
    }
    expect(report.sections['in flight']).toMatchObject({ flows: 4, delivered: 4 });
    expect(report.sections['bulk']).toMatchObject({ messages: 300, directAccepted: 300, bulkSent: 300 });
    expect(report.sections['happy path'].historyEventsPerFlow).toBeGreaterThan(5);
    expect(report.sections['webhook load']).toMatchObject({
      accepted200: 4,
      rejected401: 2,
      rejected400: 2,
      flowsDelivered: 2,
    });
    expect(report.sections['bulk with webhooks']).toMatchObject({ messages: 200, delivered: 200 });
    expect(report.sections['happy path'].workflowsPerFlow).toBe(1);
    expect(report.sections['unknown-id flood']).toMatchObject({ unknownReceipts: 30, answered200Parked: 30 });
    expect(report.sections['metrics overhead']).toMatchObject({ flows: 4 });
    expect(report.sections['abuse limits: rules']).toMatchObject({ realisticRefusals: 0 });
    expect(report.sections['abuse limits: OTP on vs off']).toMatchObject({ refusals: 0, abuseGuardRunningAfter: 0 });
    expect(report.targets).toHaveLength(18);
    expect(formatReport(report)).toMatch(/targets/);
  }, 180_000);
});
