import { quirksProblem } from './quirks';
import { type ReceiptMode, type SimOutcome, type SimProvider, type SimQuirk, type SimRule } from './types';

export interface ResolvedOutcome {
  outcome: SimOutcome;
  receipt: ReceiptMode;
  /** The deciding rule's quirks (none for the built-in numbers). */
  quirks: readonly SimQuirk[];
}

/**
 * Outcomes by recipient, deterministic without any setup, scriptable per test.
 *
 * Built-in numbers (the last three digits of a phone number; for email, the local part's suffix):
 *   …999  never settles by itself: stays pending, no receipt (an SMSBAT `ttl` still ends it, see smsbat.ts)
 *   …998  fails at the provider (SMSBAT `undeliverable`, Reach `undelivered`, email rejected 550)
 *   …997  delivered, but the receipt is withheld (only polling sees it)
 *   …400  the send itself is refused with 400
 *   other delivered after the simulator's delivery delay
 * Rules added with `script()` come first, newest first, and may be limited to N sends.
 */
export class Scenario {
  private rules: SimRule[] = [];

  script(rule: SimRule): void {
    const problem = rule.quirks === undefined ? undefined : quirksProblem(rule.quirks);
    if (problem) throw new Error(problem);
    if (rule.times !== undefined && rule.times <= 0) return;
    this.rules.unshift({ ...rule });
  }

  reset(): void {
    this.rules = [];
  }

  /** Picks the outcome for one send, consuming a limited rule. */
  resolve(provider: SimProvider, recipient: string): ResolvedOutcome {
    const index = this.rules.findIndex(
      (r) =>
        (r.provider === undefined || r.provider === provider) &&
        (r.recipient === undefined || r.recipient === recipient) &&
        (r.prefix === undefined || recipient.startsWith(r.prefix)),
    );
    if (index >= 0) {
      const rule = this.rules[index];
      if (rule.times !== undefined && --rule.times <= 0) this.rules.splice(index, 1);
      return { outcome: rule.outcome, receipt: rule.receipt ?? 'send', quirks: rule.quirks ?? [] };
    }
    return builtIn(recipient);
  }
}

function builtIn(recipient: string): ResolvedOutcome {
  const key = recipient.includes('@') ? recipient.split('@')[0] : recipient;
  const quirks: SimQuirk[] = [];
  if (key.endsWith('999')) return { outcome: { kind: 'pending' }, receipt: 'withhold', quirks };
  if (key.endsWith('998')) return { outcome: { kind: 'fail' }, receipt: 'send', quirks };
  if (key.endsWith('997')) return { outcome: { kind: 'deliver' }, receipt: 'withhold', quirks };
  if (key.endsWith('400'))
    return {
      outcome: { kind: 'reject', status: 400, message: 'Recipient refused by the simulator (…400 number)' },
      receipt: 'send',
      quirks,
    };
  return { outcome: { kind: 'deliver' }, receipt: 'send', quirks };
}
