import { type Attempt, type BulkProgress } from '../shared/types';

/** Epoch-millisecond fields (`…At`) as ISO times, recursively: what people and scripts read alike. */
export function isoTimes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(isoTimes);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      /At$/.test(k) && typeof v === 'number' && v > 1e11 ? new Date(v).toISOString() : isoTimes(v),
    ]),
  );
}

/** One attempt, for people: `smsbat: failed (undeliverable) — the reason`. */
export function describeAttempt(a: Attempt): string {
  const raw = a.rawStatus && a.rawStatus !== a.status ? ` (${a.rawStatus})` : '';
  const why = a.error
    ? ` — ${a.error.message}`
    : a.status === 'timed_out'
      ? ' — no receipt before the step timed out'
      : '';
  return `${a.channel}: ${a.status}${raw}${why}`;
}

/** Why a flow did not deliver: its attempts that did not, in order. */
export function failureReason(attempts: Attempt[]): string {
  const failed = attempts.filter((a) => a.status !== 'delivered');
  return failed.length > 0 ? failed.map(describeAttempt).join('; ') : 'no attempt was made';
}

export function progressBar(p: BulkProgress, width = 30): string {
  const doneShare = p.total === 0 ? 1 : (p.delivered + p.failed) / p.total;
  const sentShare = p.total === 0 ? 1 : (p.sent + p.failed) / p.total;
  const full = Math.min(width, Math.round(doneShare * width));
  const sent = Math.min(width - full, Math.max(0, Math.round(sentShare * width) - full));
  const bar = '█'.repeat(full) + '▒'.repeat(sent) + '·'.repeat(width - full - sent);
  return `[${bar}] ${p.sent}/${p.total} sent, ${p.delivered} delivered, ${p.failed} failed, ${p.pending} pending${p.paused ? ' (paused)' : ''}`;
}

/** Input fields as the user wrote them on the command line (`steps.0.channel` → `--via`). */
const FLAG_OF: [RegExp, string][] = [
  [/^recipient\.phone$/, '--to'],
  [/^recipient\.email$/, '--email'],
  [/^recipient$/, '--to/--email'],
  [/^text$/, '--text'],
  [/^template$/, '--template'],
  [/^trackingId$/, '--tracking-id'],
  [/^bulkId$/, '--bulk-id'],
  [/^ttl$/, '--ttl'],
  [/^ratePerSecond$/, '--rate'],
  [/^file(\.|$)/, '<file>'],
  [/^code$/, '<code>'],
  [/^steps?(\.\d+)?\.channel$/, '--via'],
  [/^steps?(\.\d+)?\.fromName$/, '--from-name'],
  [/^steps?(\.\d+)?\.route$/, '--route'],
  [/^steps?(\.\d+)?\.src$/, '--src'],
  [/^steps?(\.\d+)?\.subject$/, '--subject'],
  [/^steps?(\.\d+)?\.deliveryTimeout$/, '--timeout'],
  [/^steps$/, '--via'],
];

export function inUserTerms(issue: { path: string; message: string }): string {
  const flag = FLAG_OF.find(([re]) => re.test(issue.path))?.[1];
  let message = issue.message
    .replace(
      /^Invalid discriminator value.*$|^Invalid input: expected .*channel.*$/i,
      'unknown channel: use smsbat, reach or email',
    )
    .replace(/needs recipient\.phone/, 'needs --to (a phone number)')
    .replace(/needs recipient\.email/, 'needs --email')
    .replace(/\ba email\b/, 'an email');
  if (/^steps?(\.\d+)?\.channel$/.test(issue.path) && /invalid|expected/i.test(message)) {
    message = 'unknown channel: use smsbat, reach or email';
  }
  return flag ? `${flag} (${issue.path}): ${message}` : `${issue.path}: ${message}`;
}
