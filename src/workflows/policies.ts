import { type ActivityOptions, type LocalActivityOptions } from '@temporalio/common';

/**
 * Every timeout and retry policy of the workflows, named, in one place.
 *
 * SEND: 429/5xx/network errors are retried with backoff (a 429's Retry-After arrives as the
 * failure's nextRetryDelay); 400/401 come back non-retryable and the chain moves on. The schedule
 * bounds how long one step may keep retrying before the chain falls back.
 */
export const SEND: ActivityOptions = {
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '3m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 6 },
};

/**
 * The last step of a chain has nothing to fall back to: its send retries transient errors until
 * SEND's schedule (or the flow's TTL) runs out, not a fixed number of times. Six attempts that
 * each met a fault or a killed worker otherwise ended flows `failed` under chaos.
 */
export const SEND_LAST_STEP: ActivityOptions = {
  ...SEND,
  retry: { ...SEND.retry, maximumAttempts: Number.POSITIVE_INFINITY },
};

/**
 * Since 0.2.0 a step's send is a local activity: it runs inside the workflow task that decided it,
 * so a flow costs one marker event instead of three activity events and one workflow task fewer.
 * Same schedule as SEND. A retry that waits longer than a second waits on a durable timer rather
 * than in the worker, so a worker is not held by a provider's outage (and tests skip the wait).
 */
export const SEND_LOCAL: LocalActivityOptions = {
  startToCloseTimeout: SEND.startToCloseTimeout,
  scheduleToCloseTimeout: SEND.scheduleToCloseTimeout,
  retry: SEND.retry,
  localRetryThreshold: '1s',
};
export const SEND_LOCAL_LAST_STEP: LocalActivityOptions = { ...SEND_LOCAL, retry: SEND_LAST_STEP.retry };

/** The worker-side input check and the OTP preparation (limits, verifier): local, fast. */
export const LOCAL_CHECK: LocalActivityOptions = {
  startToCloseTimeout: '20s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5s', maximumAttempts: 5 },
};

/** Status polls are the safety net: a failed poll is skipped, the next one comes anyway. */
export const POLL: ActivityOptions = {
  startToCloseTimeout: '15s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5s', maximumAttempts: 3 },
};

/** Crypto on the worker (deriving the OTP verifier): local and fast. */
export const OTP_PREPARE: ActivityOptions = {
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', maximumAttempts: 5 },
};

/**
 * Receipt wait: the webhook signal wakes the workflow at once; polling backs off from 5 s to 60 s
 * (SMSBAT's page: poll every 5–10 s with backoff, never more than once a second, never forever).
 * When the provider pushes the receipt to our webhook receiver, the first poll waits
 * `pushedFirstMs`: the webhook normally settles the step long before, and 10 000 flows in flight
 * must not poll every 5 s. Past `horizonMs` after the send the workflow stops polling and waits
 * for the receipt alone, with one last poll at the step's deadline: a 7-day survey costs ~20
 * polls, not 10 000. A step's `pollAfter` overrides the first delay.
 */
export const RECEIPT_POLL = {
  firstMs: 5_000,
  pushedFirstMs: 60_000,
  factor: 2,
  maxMs: 60_000,
  minMs: 1_000,
  horizonMs: 15 * 60_000,
  /** Past a flow's TTL, how long the attempt in flight may still report before one last poll (since 0.3). */
  afterTtlMs: 30_000,
} as const;

/**
 * How long a receipt router waits for the send activity to name the owner of a message id. The
 * race it covers lasts as long as a send's answer takes (seconds, minutes with retries); a
 * receipt for an id nobody claims (a bulk message, a forged id) costs a router this long at most.
 */
export const ROUTER_OWNER_WAIT = '5m';
/** How long a receipt router forwards receipts for a message before it ends. */
export const ROUTER_LIFETIME = '7d';

/** One provider request of a bulk send (up to 1000 SMSBAT messages, or as many Reach creates). */
export const BULK_SEND: ActivityOptions = {
  startToCloseTimeout: '5m',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 8 },
};

/** Status checks of up to 1000 bulk messages (ten at a time), and reading a campaign file. */
export const BULK_POLL: ActivityOptions = {
  startToCloseTimeout: '5m',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 3 },
};
export const BULK_READ: ActivityOptions = {
  startToCloseTimeout: '5m',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 5 },
};

/**
 * Bulk statuses when the receiver pushes receipts: a message with no receipt this long after its
 * batch went out is looked up (the safety net), then again with backoff up to BULK_POLL_MAX_MS.
 */
export const BULK_RECEIPT_GRACE_MS = 60_000;
export const BULK_POLL_MAX_MS = 5 * 60_000;

/** How far a bulk send may run ahead of its even rate before it sleeps (its rate is an average over this). */
export const BULK_RATE_SLACK_MS = 1000;
/** Provider requests of one bulk chunk in flight at once (the rate limit still holds). */
export const BULK_BATCHES_IN_FLIGHT = 4;

/** Messages per child workflow of a bulk send, and children per run before continue-as-new. */
export const BULK_CHUNK_SIZE = 5000;
export const BULK_CHUNKS_PER_RUN = 40;

/**
 * Since 0.3.0, one provider request of a bulk send, its deadline sized to its batch (a deadline
 * for one message is not one for 1000) and its worker watched by heartbeats, so a worker lost
 * mid-request is noticed in seconds. The activity returns failed messages as states rather than
 * failing, so a retry means the attempt was lost: it re-posts nothing blindly (see sendBulkBatch).
 */
export function bulkSendOptions(messages: number): ActivityOptions {
  return {
    startToCloseTimeout: 60_000 + messages * 100,
    heartbeatTimeout: '20s',
    // A retry waits long enough for an attempt that only lagged (its heartbeat late, not its worker
    // dead) to hear at its next heartbeat that it was superseded and stop sending; the retry then
    // looks up what it sent.
    retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 3 },
  };
}

/**
 * Messages that failed retryably (429, 5xx, a lost connection before sending) go again in later
 * passes, waiting `firstMs`, then ×`factor`, within the campaign's rate. After `passes` passes in a
 * row that sent nothing, the provider is taken to be unavailable and the chunk pauses
 * (`paused: provider unavailable`) until `resume`, or the campaign's `autoResume`.
 */
export const BULK_RETRY = { firstMs: 2_000, factor: 3, maxMs: 5 * 60_000, passes: 4 } as const;

/** A chunk continues as new past this many events (or when the server suggests it), carrying its message states. */
export const BULK_CHUNK_MAX_EVENTS = 10_000;
