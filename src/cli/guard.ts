/**
 * `temporal-cascade guard status|block|unblock <prefix>` and `guard list`: the operators' view of
 * the abuse limits, read and written in the limit store the workers count in (CASCADE_RECEIPT_INDEX:
 * the receipt index's database). No Temporal connection is needed.
 */
import { openLimitStore } from '../limits/open';
import { loadLimitPolicy } from '../limits/policy-file';
import { DEFAULT_LIMITS, type GuardState } from '../shared/limits';
import { type LimitVerdict } from '../shared/types';

export const GUARD_USAGE =
  'guard status|block|unblock <prefix> [--reason R] [--policy file.json] | guard list   (abuse limits of a phone prefix, e.g. +38050)';

/**
 * The policy is the workers' and lives in their code (the plugin's `limits`), so the CLI cannot
 * know it: it says which one it judged with, and how to judge with theirs.
 */
const DEFAULT_POLICY_NOTE =
  "DEFAULT_LIMITS; the workers' policy is the plugin's `limits` — if yours differs, pass it with --policy <file.json> (loadLimitPolicy reads the same file in the worker)";

/** Exit codes as the CLI's: 0 done, 2 invalid usage. */
export async function runGuard(
  receiptIndexUrl: string,
  sub: string | undefined,
  args: string[],
  flags: { reason?: string | boolean; policy?: string | boolean },
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
  const policyFile = typeof flags.policy === 'string' ? flags.policy : undefined;
  // Read before the store opens: a bad file is a ConfigError naming its field.
  const policy = policyFile ? loadLimitPolicy(policyFile) : DEFAULT_LIMITS;
  const store = await openLimitStore(receiptIndexUrl, policy);
  try {
    const by = `cli:${process.env.USER ?? 'operator'}`;
    if (sub === 'list') {
      const states = await store.list();
      print(states.length === 0 ? 'no prefix is blocked' : states.map(describe).join('\n'), states);
      return 0;
    }
    if (sub === 'status') {
      const [state, nextStart] = await Promise.all([store.status(prefix!), store.preview(prefix!)]);
      const judged = policyFile ?? 'default';
      print(`${describe(state)}\nnext start: ${verdict(nextStart)}\npolicy: ${policyFile ?? DEFAULT_POLICY_NOTE}`, {
        ...state,
        nextStart,
        policy: judged,
      });
      return 0;
    }
    const state =
      sub === 'block'
        ? await store.block(prefix!, by, reason ?? 'blocked by an operator')
        : await store.unblock(prefix!, by, reason);
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

function verdict(v: LimitVerdict): string {
  if (v.allowed) {
    return v.monitor ? `allowed (monitor mode; would refuse: ${v.monitor.scope} — ${v.monitor.reason})` : 'allowed';
  }
  const retry =
    v.retryAfterMs === undefined ? '' : `; retry after ${new Date(Date.now() + v.retryAfterMs).toISOString()}`;
  return `REFUSED (${v.scope}) — ${v.reason}${retry}`;
}
