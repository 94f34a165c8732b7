import { log } from '@temporalio/activity';
import { recordGuardUnavailable, recordLimitVerdict, recordWouldRefuse } from '../metrics/activity';
import { admitSubject } from '../limits/keys';
import { IntervalReport } from '../limits/report';
import { resolvePolicy } from '../shared/limits';
import { type LimitVerdict } from '../shared/types';
import { type ActivityDeps } from './deps';
import { otpNotConfigured } from './failures';
import { currentFlow } from './render';
import { type AcquireOtpLimitsInput } from './types';

/**
 * `otpVerification` asks the limit store whether this run may send, in its first workflow task,
 * whoever started it (CascadeClient, a parent workflow, a direct start): one transaction for all
 * of the run's keys. A store that does not answer within `guardTimeoutMs` is a refusal
 * (`guard_unavailable`), or an allowance with `failOpen`; either way counted on a metric and
 * logged once a minute. A keyed proof in the input (0.2.0 clients) is ignored: nothing skips the check.
 */
export function createAcquireOtpLimits(deps: ActivityDeps) {
  const report = new IntervalReport((event, count, detail) => {
    if (event === 'guard_unavailable') {
      log.warn(`abuse limits: ${count} OTP start(s) could not be checked (${detail})`, { count });
    } else {
      log.info(`abuse limits (monitor mode): ${count} OTP start(s) would have been refused (${detail})`, { count });
    }
  });
  return async function acquireOtpLimits({ recipient, startedAt }: AcquireOtpLimitsInput): Promise<LimitVerdict> {
    if (!deps.limits || !deps.limitStore) return { allowed: true };
    if (!deps.otpSecret) throw otpNotConfigured();
    const policy = resolvePolicy(deps.limits);
    const subject = admitSubject(deps.otpSecret, recipient, currentFlow());
    const unavailable = (detail: string): LimitVerdict => {
      recordGuardUnavailable();
      report.add('guard_unavailable', detail);
      return recordLimitVerdict(
        policy.failOpen
          ? { allowed: true, unchecked: true }
          : { allowed: false, scope: 'recipient', reason: 'guard_unavailable' },
      );
    };
    let verdict: LimitVerdict;
    try {
      const store = await deps.limitStore();
      const waitedMs = startedAt === undefined ? undefined : Date.now() - startedAt;
      verdict = await withTimeout(store.admit(subject, { waitedMs }), policy.guardTimeoutMs);
    } catch (err) {
      return unavailable(err instanceof Error ? err.message : String(err));
    }
    if (!verdict.allowed && verdict.reason === 'guard_unavailable')
      return unavailable('the flow waited longer than guardTimeoutMs for a worker');
    if (verdict.allowed && verdict.monitor) {
      recordWouldRefuse(verdict.monitor);
      report.add('would_refuse', `${verdict.monitor.scope}: ${verdict.monitor.reason}`);
    }
    return recordLimitVerdict(verdict);
  };
}

/** A verified code is what tells real users from SMS pumping: recorded for the run's keys. */
export function createRecordOtpConversion(deps: ActivityDeps) {
  return async function recordOtpConversion(): Promise<boolean> {
    if (!deps.limits || !deps.limitStore) return false;
    const { workflowId, runId } = currentFlow();
    try {
      return await (await deps.limitStore()).convert(`${workflowId}/${runId}`);
    } catch {
      // Conversion data only sharpens the pumping rules: its loss must not fail an approved flow.
      return false;
    }
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the limit store did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
