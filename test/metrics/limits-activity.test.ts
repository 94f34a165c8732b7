import { type MetricMeter } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { type ActivityDeps } from '../../src/activities/deps';
import { createAcquireOtpLimits } from '../../src/activities/limits';
import { MemoryLimitBackend } from '../../src/limits/memory';
import { LimitStore } from '../../src/limits/store';
import { METRICS } from '../../src/metrics/catalog';
import { DEFAULT_LIMITS, type LimitPolicy } from '../../src/shared/limits';

/** What an activity adds to its worker's meter, by metric name: each add's labels (the SDK's among them). */
function recordingMeter() {
  const added: Record<string, Record<string, string | number | boolean>[]> = {};
  const counter = (name: string) => ({
    add: (_value: number, tags: Record<string, string | number | boolean> = {}) => void (added[name] ??= []).push(tags),
  });
  const meter = { createCounter: counter, withTags: () => meter } as unknown as MetricMeter;
  return { meter, added };
}

/**
 * The abuse limits' monitor mode and failure mode leave on the catalog's metrics (the names the
 * README tells operators to watch), from the activity that asks the store.
 */
describe('the limits activity on the worker meter', () => {
  let run = 0;
  const ask = async (policy: LimitPolicy, store: () => Promise<LimitStore>) => {
    const { meter, added } = recordingMeter();
    const deps = { limits: policy, limitStore: store, otpSecret: 'metrics-test-otp-secret-0123456789' } as ActivityDeps;
    const env = new MockActivityEnvironment(
      { workflowExecution: { workflowId: `otp:limits-${++run}`, runId: `run-${run}` } },
      { metricMeter: meter },
    );
    const verdict = await env.run(createAcquireOtpLimits(deps), { recipient: { phone: '+380671234567' } });
    return { verdict, added };
  };

  test('monitor mode: a start enforcing would refuse is let through and counted by scope and reason', async () => {
    const policy = { ...DEFAULT_LIMITS, perRecipientHour: 1, mode: 'monitor' as const };
    const store = new LimitStore(new MemoryLimitBackend(), policy);
    expect((await ask(policy, async () => store)).added[METRICS.guardWouldRefuse.name]).toBeUndefined();
    const second = await ask(policy, async () => store);
    expect(second.verdict).toMatchObject({ allowed: true, monitor: { scope: 'recipient' } });
    expect(second.added[METRICS.guardWouldRefuse.name]).toEqual([
      expect.objectContaining({ scope: 'recipient', reason: 'hourly_quota' }),
    ]);
    expect(second.added[METRICS.abuseAllowed.name]).toHaveLength(1);
  });

  test('a store that cannot answer: refused as guard_unavailable and counted', async () => {
    const down = await ask(DEFAULT_LIMITS, () => Promise.reject(new Error('connect ECONNREFUSED')));
    expect(down.verdict).toMatchObject({ allowed: false, reason: 'guard_unavailable' });
    expect(down.added[METRICS.guardUnavailable.name]).toHaveLength(1);
    expect(down.added[METRICS.abuseRefused.name]).toEqual([
      expect.objectContaining({ scope: 'recipient', reason: 'guard_unavailable' }),
    ]);
  });
});
