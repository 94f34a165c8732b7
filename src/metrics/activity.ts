/**
 * What activities tell operators, through the activity context's metric meter (the worker
 * Runtime's exporter, tagged with namespace, task queue and activity type by the SDK).
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure, type MetricMeter } from '@temporalio/common';
import { isFinalState, type DeliveryStatus } from '../shared/delivery-status';
import type { Step } from '../shared/schemas';
import type { ActiveBlocks } from '../limits/store';
import type { LimitVerdict } from '../shared/types';
import { METRICS, type MetricDefinition } from './catalog';
import { refusalReason, routeOf } from './labels';

function meter(): MetricMeter | undefined {
  try {
    return Context.current().metricMeter;
  } catch {
    return undefined; // called outside an activity (a unit test): nothing to record on
  }
}

function add(metric: MetricDefinition, labels: Record<string, string>, value = 1): void {
  meter()?.createCounter(metric.name, undefined, metric.help).add(value, labels);
}

/** One attempt of a send activity: `accepted`, `refused` (permanent), or a retry starting. */
export function recordSend(step: Step, result: 'accepted' | 'refused' | 'retried'): void {
  add(METRICS.sends, { provider: step.channel, route: routeOf(step), result });
}

/** A status poll that found the message settled. */
export function recordPolledReceipt(status: DeliveryStatus): DeliveryStatus {
  if (isFinalState(status.state))
    add(METRICS.receipts, { provider: status.provider, path: 'poll', state: status.state });
  return status;
}

/** Webhook receipts that came before their send's answer and waited in the receipt index for it. */
export function recordParkedReceipts(statuses: DeliveryStatus[]): void {
  for (const s of statuses) {
    if (isFinalState(s.state)) add(METRICS.receipts, { provider: s.provider, path: 'webhook', state: s.state });
  }
}

/** The abuse limits' answer for one OTP start. */
export function recordLimitVerdict<V extends LimitVerdict>(verdict: V): V {
  if (verdict.allowed) add(METRICS.abuseAllowed, {});
  else add(METRICS.abuseRefused, { scope: verdict.scope, reason: refusalReason(verdict.reason) });
  return verdict;
}

/** A start monitor mode let through that enforcing would have refused. */
export function recordWouldRefuse(monitor: { scope: string; reason: string }): void {
  add(METRICS.guardWouldRefuse, { scope: monitor.scope, reason: refusalReason(monitor.reason) });
}

/** A start the limit store could not check in time. */
export function recordGuardUnavailable(): void {
  add(METRICS.guardUnavailable, {});
}

/**
 * The blocks in force (`await limitStore.activeBlocks()`) on a Runtime's meter, for a deployment
 * without the receiver's `/metrics`, which reports them itself at scrape time.
 */
export function recordBlocksActive(runtimeMeter: MetricMeter, blocks: ActiveBlocks[]): void {
  const gauge = runtimeMeter.createGauge(METRICS.abuseBlocks.name, 'int', undefined, METRICS.abuseBlocks.help);
  for (const b of blocks) gauge.set(b.count, { scope: b.scope, mode: b.mode });
}

/** A send attempt's failure, counted as `refused` when it is permanent; returns it to be thrown. */
export function recordSendFailure(step: Step, failure: unknown): unknown {
  if (failure instanceof ApplicationFailure && failure.nonRetryable) recordSend(step, 'refused');
  return failure;
}
