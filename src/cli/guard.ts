/**
 * `temporal-cascade guard status|block|unblock <prefix>` and `guard list`: the operators' view of
 * the abuse limits, read and written in the limit store the workers count in (CASCADE_RECEIPT_INDEX:
 * the receipt index's database). No Temporal connection is needed.
 */
import { openLimitStore } from '../limits/open';
import { DEFAULT_LIMITS, type GuardState } from '../shared/limits';

export const GUARD_USAGE =
  'guard status|block|unblock <prefix> [--reason R] | guard list   (abuse limits of a phone prefix, e.g. +38050)';

/** Exit codes as the CLI's: 0 done, 2 invalid usage. */
export async function runGuard(
  receiptIndexUrl: string,
  sub: string | undefined,
  args: string[],
  flags: { reason?: string | boolean },
  print: (human: string, data: unknown) => void,
): Promise<number> {
  const reason = typeof flags.reason === 'string' ? flags.reason : undefined;
  const prefix = args[0];
  if (
    sub !== 'list' &&
    !(sub && ['status', 'block', 'unblock'].includes(sub) && prefix && /^\+\d{1,8}$/.test(prefix))
  ) {
    print(`usage: ${GUARD_USAGE} (a prefix is + and digits, e.g. +38050)`, { error: 'usage', usage: GUARD_USAGE });
    return 2;
  }
  const store = await openLimitStore(receiptIndexUrl, DEFAULT_LIMITS);
  try {
    const by = `cli:${process.env.USER ?? 'operator'}`;
    if (sub === 'list') {
      const states = await store.list();
      print(states.length === 0 ? 'no prefix is blocked' : states.map(describe).join('\n'), states);
      return 0;
    }
    const state =
      sub === 'block'
        ? await store.block(prefix!, by, reason ?? 'blocked by an operator')
        : sub === 'unblock'
          ? await store.unblock(prefix!, by, reason)
          : await store.status(prefix!);
    print(describe(state), state);
    return 0;
  } finally {
    await store.close();
  }
}

function describe(s: GuardState): string {
  const when = (t: number) => new Date(t).toISOString();
  const state = s.blocked ? 'BLOCKED' : s.monitor ? 'would be blocked (monitor mode)' : 'open';
  const span =
    s.since && (s.blocked || s.monitor)
      ? ` since ${when(s.since)} ${s.until ? `until ${when(s.until)}` : 'until unblocked'}`
      : '';
  const trips = s.trips ? `, ${s.trips} trip(s) remembered` : '';
  const rate = s.conversionRate === undefined ? '' : ` (${Math.round(s.conversionRate * 100)}%)`;
  return `${s.key}: ${state}${span}${s.reason ? ` — ${s.reason}` : ''}; last hour ${s.recentVerified}/${s.recentFlows} verified${rate}${trips}`;
}
