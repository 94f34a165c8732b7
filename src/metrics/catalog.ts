/**
 * Every metric temporal-cascade emits, in one table: the emitters, the README's "Operating it"
 * table, the Grafana dashboard and the alert rules are all checked against it. Sandbox-safe (pure
 * data): the workflow-side emitters import it too.
 *
 * Labels are bounded by construction: provider and route names, outcomes and reasons from fixed
 * sets, currencies as providers report them (ISO 4217), the recipient's country calling code.
 * Never a phone number, an address, a code, a provider message id or a tracking id.
 * The TypeScript SDK adds `namespace`, `taskQueue` and `workflowType` (`activityType` for
 * activities) to what workflows and activities emit (Core's own metrics spell it `task_queue`).
 */
export type MetricKind = 'counter' | 'histogram' | 'gauge';

/** Where a metric is recorded, so where it is scraped from. */
export type MetricSource = 'workflow' | 'activity' | 'receiver' | 'activity, receiver';

export interface MetricDefinition {
  name: string;
  kind: MetricKind;
  help: string;
  labels: readonly string[];
  source: MetricSource;
  /** Histograms: the bucket boundaries to give the Runtime (its default ones are for milliseconds). */
  buckets?: readonly number[];
}

const define = <const M extends Record<string, MetricDefinition>>(metrics: M): M => metrics;

export const METRICS = define({
  sends: {
    name: 'temporal_cascade_sends_total',
    kind: 'counter',
    help: 'Send attempts to a provider by result: accepted, refused (a permanent error), retried (an attempt after the first).',
    labels: ['provider', 'route', 'result'],
    source: 'activity',
  },
  outcomes: {
    name: 'temporal_cascade_delivery_outcomes_total',
    kind: 'counter',
    help: 'How each step of a chain ended: delivered, failed, timed_out (no receipt in time), skipped (not tried).',
    labels: ['provider', 'route', 'outcome'],
    source: 'workflow',
  },
  latency: {
    name: 'temporal_cascade_delivery_latency_seconds',
    kind: 'histogram',
    help: "From the provider's acceptance to the delivery receipt's time, for delivered steps.",
    labels: ['provider', 'route'],
    source: 'workflow',
    buckets: [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600],
  },
  fallbacks: {
    name: 'temporal_cascade_fallbacks_total',
    kind: 'counter',
    help: 'A chain moving on from one step to the next, by the providers it moved from and to.',
    labels: ['from', 'to'],
    source: 'workflow',
  },
  receipts: {
    name: 'temporal_cascade_receipts_total',
    kind: 'counter',
    help: 'Final delivery statuses that reached a flow, by the path they took: webhook (pushed) or poll.',
    labels: ['provider', 'path', 'state'],
    source: 'activity, receiver',
  },
  cost: {
    name: 'temporal_cascade_message_cost',
    kind: 'histogram',
    help: 'What a provider charged per step, in the currency it names: `_sum` is the spend, `_count` the priced steps.',
    labels: ['provider', 'currency'],
    source: 'workflow',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  },
  otpStarted: {
    name: 'temporal_cascade_otp_started_total',
    kind: 'counter',
    help: 'OTP verifications that passed the abuse limits and began sending, by country calling code.',
    labels: ['country_code'],
    source: 'workflow',
  },
  otpCodesSent: {
    name: 'temporal_cascade_otp_codes_sent_total',
    kind: 'counter',
    help: 'OTP codes sent (first sends and resends), by country calling code.',
    labels: ['country_code'],
    source: 'workflow',
  },
  otpResends: {
    name: 'temporal_cascade_otp_resends_total',
    kind: 'counter',
    help: 'OTP resends a user asked for, by country calling code.',
    labels: ['country_code'],
    source: 'workflow',
  },
  otpCompleted: {
    name: 'temporal_cascade_otp_completed_total',
    kind: 'counter',
    help: 'OTP verifications ended: approved (converted), expired, too_many_attempts, canceled.',
    labels: ['country_code', 'outcome'],
    source: 'workflow',
  },
  abuseAllowed: {
    name: 'temporal_cascade_abuse_allowed_total',
    kind: 'counter',
    help: 'OTP starts the abuse limits admitted.',
    labels: [],
    source: 'activity',
  },
  abuseRefused: {
    name: 'temporal_cascade_abuse_refused_total',
    kind: 'counter',
    help: 'OTP starts the abuse limits refused, by the guard that refused (recipient, prefix, country) and why.',
    labels: ['scope', 'reason'],
    source: 'activity',
  },
  abuseBlocks: {
    name: 'temporal_cascade_abuse_blocks_active',
    kind: 'gauge',
    help: 'Blocks in force now (pumping trips and operator blocks), by scope and mode (monitor: would be refusing); read from the limit store at scrape time (cached 10 s), absent while it cannot answer.',
    labels: ['scope', 'mode'],
    source: 'receiver',
  },
  guardWouldRefuse: {
    name: 'temporal_cascade_guard_would_refuse_total',
    kind: 'counter',
    help: 'OTP starts monitor mode let through that enforcing would have refused, by scope and why.',
    labels: ['scope', 'reason'],
    source: 'activity',
  },
  guardUnavailable: {
    name: 'temporal_cascade_guard_unavailable_total',
    kind: 'counter',
    help: 'OTP starts the limit store could not check in time (refused as guard_unavailable, or let through with failOpen).',
    labels: [],
    source: 'activity',
  },
  campaignMessages: {
    name: 'temporal_cascade_campaign_messages_total',
    kind: 'counter',
    help: 'Bulk campaign messages by the state they reached: sent, delivered, failed, invalid (refused as sent).',
    labels: ['provider', 'state'],
    source: 'workflow',
  },
  receiverRequests: {
    name: 'temporal_cascade_receiver_requests_total',
    kind: 'counter',
    help: "Requests to the webhook receiver by route and HTTP status (4xx/5xx on a provider's route: refused receipts).",
    labels: ['route', 'code'],
    source: 'receiver',
  },
  receiverReceipts: {
    name: 'temporal_cascade_receiver_receipts_total',
    kind: 'counter',
    help: 'Receipts the receiver handled, by what became of them (forwarded, duplicate, parked, closed, not_final …).',
    labels: ['provider', 'outcome'],
    source: 'receiver',
  },
  receiverStoreErrors: {
    name: 'temporal_cascade_receiver_store_errors_total',
    kind: 'counter',
    help: 'Reads the receiver could not make for a scrape, by store (`limits`: the blocks gauge, then left out of that scrape).',
    labels: ['store'],
    source: 'receiver',
  },
});

export type MetricId = keyof typeof METRICS;

/** The Runtime's `histogramBucketOverrides` for our histograms (its defaults suit milliseconds). */
export const CASCADE_HISTOGRAM_BUCKETS: Record<string, number[]> = Object.fromEntries(
  (Object.values(METRICS) as MetricDefinition[]).flatMap((m) => (m.buckets ? [[m.name, [...m.buckets]]] : [])),
);

/** The README's metric table, rendered from the catalog (a test keeps the two equal). */
export function metricsTable(): string {
  const rows = (Object.values(METRICS) as MetricDefinition[]).map(
    (m) =>
      `| \`${m.name}\` | ${m.kind} | ${m.labels.map((l) => `\`${l}\``).join(', ') || '—'} | ${m.source} | ${m.help} |`,
  );
  return ['| Metric | Kind | Labels | From | Meaning |', '| --- | --- | --- | --- | --- |', ...rows].join('\n');
}
