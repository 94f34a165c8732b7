import { ProviderError } from '../providers/errors';
import { type SendStepInput, type SendStepResult, type SendStepSkipped } from '../activities/types';
import { type ProviderHealth } from './health';
import { healthKeys } from './keys';

/**
 * What the send activity asks of provider health, before and after the channel's send. The
 * decision is the activity's result, so it is recorded in history and replay never asks again.
 */
export class SendHealth {
  private readonly keys: string[];

  constructor(
    private readonly health: ProviderHealth | undefined,
    private readonly input: SendStepInput,
    private readonly attempt: number,
    /** The channel's retry finds a message its lost answer left at the provider (ChannelAdapter.sendLookup). */
    private readonly retryAdopts = false,
  ) {
    this.keys = health ? healthKeys(input.step, input.recipient) : [];
  }

  /** The skip, when the flow routes by health and the step's provider is unhealthy. */
  async gate(): Promise<SendStepSkipped | undefined> {
    // A retry may follow a send the provider accepted whose answer was lost. Where the retry would
    // find and adopt that message (Reach), it is never skipped: falling back would send the code a
    // second time. Elsewhere a retry sends again anyway, so an open breaker may end it early.
    if (!this.health || !this.input.health || (this.attempt > 1 && this.retryAdopts)) return undefined;
    let decision;
    try {
      decision = await this.health.decide(this.keys, this.input.health.skippable);
    } catch {
      // Health is advice: without its store, the step sends as it would without it.
      return undefined;
    }
    if (decision.send) return undefined;
    return {
      skipped: {
        reason: 'provider unhealthy',
        key: decision.key,
        state: decision.state,
        since: new Date(decision.since).toISOString(),
        detail: decision.reason,
      },
    };
  }

  sent(result: SendStepResult): void {
    if (!this.health) return;
    this.health.sendOutcome(this.keys, this.attempt, 'ok', result.receiptPushed === true);
    // Receipts that beat the send were parked, not forwarded: the receiver did not count them.
    for (const r of result.early ?? []) this.health.receipt(r.provider, r.state);
  }

  /** Provider trouble counts; a refused message (400, 404) or our own error says nothing of the provider. */
  failed(err: unknown): void {
    if (!this.health || !(err instanceof ProviderError)) return;
    if (err.kind === 'invalid_request' || err.kind === 'not_found') return;
    this.health.sendOutcome(this.keys, this.attempt, 'error');
  }
}
