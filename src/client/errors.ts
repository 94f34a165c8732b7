/** Errors the typed client throws; each names what was wrong so a backend can answer its caller. */
export class CascadeValidationError extends Error {
  constructor(readonly issues: { path: string; message: string }[]) {
    super(`invalid input: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    this.name = 'CascadeValidationError';
  }
}

/** A resend the flow refused: during the cooldown, after maxSends, or once the flow has ended. */
export class CascadeResendRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CascadeResendRefusedError';
  }
}

export class CascadeFlowNotFoundError extends Error {
  constructor(readonly id: string) {
    super(`no temporal-cascade flow with id ${id}`);
    this.name = 'CascadeFlowNotFoundError';
  }
}

/** An OTP flow refused by the abuse limits, before any provider was paid. */
export class CascadeLimitError extends Error {
  constructor(
    readonly scope: 'recipient' | 'prefix' | 'country',
    readonly reason: string,
    readonly retryAfterMs?: number,
  ) {
    super(
      reason === 'guard_unavailable'
        ? `refused (${scope}): guard_unavailable — the abuse limits did not answer in time (is a worker polling the task queue, and its limit store reachable?); OTP flows are refused while they cannot be checked`
        : `refused (${scope}): ${reason}`,
    );
    this.name = 'CascadeLimitError';
  }
}
