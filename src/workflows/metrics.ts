/**
 * What workflows tell operators, through the SDK's workflow metric meter: it records nothing while
 * a workflow replays, so a cache eviction or a worker restart counts nothing twice, and it leaves
 * by whatever exporter the worker's Runtime has (Prometheus, OpenTelemetry). Names and labels come
 * from the catalog; recording never changes the commands a workflow issues.
 */
import { metricMeter } from '@temporalio/workflow';
import { METRICS, type MetricDefinition } from '../metrics/catalog';
import { countryCode, currencyLabel, routeOf } from '../metrics/labels';
import type { Recipient, Step } from '../shared/schemas';
import type { Attempt, BulkMessageState, OtpStatus } from '../shared/types';

// Made where they are used: the meter exists only inside a workflow, and this module is imported
// outside one too (clients import the workflow functions to start them).
const counter = (m: MetricDefinition) => () => metricMeter.createCounter(m.name, undefined, m.help);
const histogram = (m: MetricDefinition) => () => metricMeter.createHistogram(m.name, 'float', undefined, m.help);

const outcomes = counter(METRICS.outcomes);
const latency = histogram(METRICS.latency);
const cost = histogram(METRICS.cost);
const fallbacks = counter(METRICS.fallbacks);
const otpStarted = counter(METRICS.otpStarted);
const otpCodesSent = counter(METRICS.otpCodesSent);
const otpResends = counter(METRICS.otpResends);
const otpCompleted = counter(METRICS.otpCompleted);
const campaignMessages = counter(METRICS.campaignMessages);

/**
 * A step of a chain ended: `next` (the chain falls back; the attempt says failed or timed out) or
 * the flow's outcome. A step a cancel, the TTL or a resend interrupted is not counted.
 */
export function recordStep(step: Step, attempt: Attempt, result: string): void {
  const outcome = result === 'delivered' ? 'delivered' : result === 'next' ? attempt.status : undefined;
  if (outcome !== 'delivered' && outcome !== 'failed' && outcome !== 'timed_out') return;
  const labels = { provider: step.channel, route: routeOf(step) };
  outcomes().add(1, { ...labels, outcome });
  if (outcome === 'delivered' && attempt.sentAt && attempt.settledAt) {
    const seconds = (Date.parse(attempt.settledAt) - Date.parse(attempt.sentAt)) / 1000;
    if (Number.isFinite(seconds)) latency().record(Math.max(0, seconds), labels);
  }
  if (attempt.cost !== undefined && Number.isFinite(attempt.cost) && attempt.cost >= 0) {
    cost().record(attempt.cost, { provider: step.channel, currency: currencyLabel(attempt.currency) });
  }
}

/** A step the chain did not try (its provider is known to be down). */
export function recordSkipped(step: Step): void {
  outcomes().add(1, { provider: step.channel, route: routeOf(step), outcome: 'skipped' });
}

export function recordFallback(from: Step, to: Step): void {
  fallbacks().add(1, { from: from.channel, to: to.channel });
}

export function recordOtpStarted(recipient: Recipient): void {
  otpStarted().add(1, { country_code: countryCode(recipient) });
}

export function recordOtpCodeSent(recipient: Recipient, resend: boolean): void {
  const labels = { country_code: countryCode(recipient) };
  otpCodesSent().add(1, labels);
  if (resend) otpResends().add(1, labels);
}

export function recordOtpCompleted(recipient: Recipient, status: OtpStatus): void {
  if (status === 'pending') return;
  otpCompleted().add(1, { country_code: countryCode(recipient), outcome: status });
}

/**
 * Counts a campaign chunk's messages as they reach each state. It starts from the states a run
 * begins with (a continued-as-new chunk's are counted already) and adds what changed since.
 */
export class CampaignTally {
  private readonly seen = new Map<BulkMessageState['state'] | 'sent', number>();

  constructor(
    private readonly provider: string,
    states: BulkMessageState[] = [],
  ) {
    this.tally(states, false);
  }

  update(states: BulkMessageState[]): void {
    this.tally(states, true);
  }

  private tally(states: BulkMessageState[], emit: boolean): void {
    const now = new Map<BulkMessageState['state'] | 'sent', number>();
    for (const s of states) {
      now.set(s.state, (now.get(s.state) ?? 0) + 1);
      if (s.providerMessageId) now.set('sent', (now.get('sent') ?? 0) + 1);
    }
    for (const [state, n] of now) {
      const grown = n - (this.seen.get(state) ?? 0);
      if (emit && grown > 0 && state !== 'queued' && state !== 'pending') {
        campaignMessages().add(grown, { provider: this.provider, state });
      }
      this.seen.set(state, Math.max(n, this.seen.get(state) ?? 0));
    }
  }
}
