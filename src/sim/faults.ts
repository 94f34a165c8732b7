import { type ResolvedOutcome } from './scenario';
import { type SimFaults, type SimResponse } from './types';

export type FaultDecision =
  | { kind: 'none' }
  | { kind: 'respond'; response: SimResponse }
  | { kind: 'reset' }
  | { kind: 'hang' }
  /** Handle the request (the provider accepts it), then lose the answer: no answer, or a gateway's 502. */
  | { kind: 'acceptThen'; then: 'hang' | 502 };

/**
 * Fault injection with a seeded generator, so a chaos run can be replayed. The provider sims
 * decide how an injected error looks (each provider has its own error body).
 */
export class FaultInjector {
  private faults: SimFaults = {};
  private inFlight = 0;
  private seed: number;

  constructor(seed = 1) {
    this.seed = seed >>> 0 || 1;
  }

  set(faults: SimFaults): void {
    this.faults = { ...faults };
  }

  get current(): SimFaults {
    return this.faults;
  }

  get latencyMs(): number {
    return this.faults.latencyMs ?? 0;
  }

  get retryAfterSec(): number {
    return this.faults.retryAfterSec ?? 1;
  }

  /** Called when a request arrives; pair with `release()` when it is answered. */
  admit(method = 'GET'): FaultDecision {
    this.inFlight++;
    const f = this.faults;
    if (f.maxConcurrency !== undefined && this.inFlight > f.maxConcurrency) {
      return { kind: 'respond', response: { status: 429 } };
    }
    if (this.hit(f.resetRate)) return { kind: 'reset' };
    if (this.hit(f.hangRate)) return { kind: 'hang' };
    if (this.hit(f.rateLimitRate)) return { kind: 'respond', response: { status: 429 } };
    if (method === 'POST' && this.hit(f.acceptThenHangRate)) return { kind: 'acceptThen', then: 'hang' };
    if (method === 'POST' && this.hit(f.acceptThen502Rate)) return { kind: 'acceptThen', then: 502 };
    if (this.hit(f.errorRate)) return { kind: 'respond', response: { status: this.random() < 0.5 ? 500 : 503 } };
    return { kind: 'none' };
  }

  release(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
  }

  /**
   * What becomes of a message that would be delivered: with `silentRate` it is accepted and never
   * settles (no receipt, no status change); with `failRate` it fails with a receipt. Scripted
   * outcomes other than delivery are left as they are.
   */
  shape(resolved: ResolvedOutcome): ResolvedOutcome {
    if (resolved.outcome.kind !== 'deliver') return resolved;
    if (this.hit(this.faults.silentRate)) return { ...resolved, outcome: { kind: 'pending' }, receipt: 'withhold' };
    if (this.hit(this.faults.failRate)) return { ...resolved, outcome: { kind: 'fail' } };
    return resolved;
  }

  dropReceipt(): boolean {
    return this.hit(this.faults.receiptLossRate);
  }

  private hit(rate: number | undefined): boolean {
    return rate !== undefined && rate > 0 && this.random() < rate;
  }

  /** mulberry32 */
  random(): number {
    let t = (this.seed = (this.seed + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}
