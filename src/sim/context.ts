import { type FaultInjector } from './faults';
import { type Scenario } from './scenario';
import { type Quirks } from './quirks';
import { type SimMessage, type SimProvider, type SimQuirk, type SimRequest, type SimResponse } from './types';

/** What the simulator gives each provider simulation. */
export interface SimContext {
  scenario: Scenario;
  faults: FaultInjector;
  /** Default time from acceptance to the final status, ms (an outcome's `afterMs` overrides it). */
  deliveryDelayMs: number;
  /** Runs `fn` after `ms`; every pending timer is cleared on reset and close. */
  schedule(ms: number, fn: () => void): void;
  /**
   * POSTs a receipt (webhook / status callback). Failures are counted, never thrown: a receiver
   * that is down must not break the simulator.
   */
  postReceipt(url: string, init: { headers: Record<string, string>; body: string }): void;
  now(): number;
  /**
   * The quirks of one message: its rule's plus those set for the provider now (`setQuirks`), so
   * a quirk set while a message is in flight shows up in what is sent about it from then on.
   */
  quirks(ofRule: readonly SimQuirk[]): Quirks;
}

/** One provider's HTTP API, as the spec documents it. */
export interface ProviderSim {
  readonly provider: SimProvider;
  /** Whether this provider serves `path`. */
  matches(path: string): boolean;
  handle(req: SimRequest): Promise<SimResponse> | SimResponse;
  /** An error response in the provider's own error format, for injected faults (429, 500, 503). */
  errorResponse(status: number, retryAfterSec?: number): SimResponse;
  /** Drives a message to a final status now and sends its receipt (test control). */
  settle(messageId: string, result: 'delivered' | 'failed'): boolean;
  messages(): SimMessage[];
  reset(): void;
}
