import { openProviderHealth, type ProviderHealthStatus } from '../health';
import { type BreakerMode } from '../health/types';

export const PROVIDER_USAGE =
  'provider status|open|close|auto [<provider>[/<route>[/<+country>]]]   (provider health: see or force a breaker)';

/**
 * `temporal-cascade provider …`: the breakers in the receipt index's database
 * (CASCADE_RECEIPT_INDEX), the one the workers and the receiver share. Needs no Temporal connection.
 */
export async function providerCommand(
  receiptIndexUrl: string,
  sub: string | undefined,
  key: string | undefined,
  print: (human: string, data: unknown) => void,
  usage: (message: string) => Error,
): Promise<number> {
  const modes: Record<string, BreakerMode> = { open: 'open', close: 'closed', auto: 'auto' };
  if (sub !== 'status' && !(sub && sub in modes)) throw usage(`unknown provider command ${sub ?? ''}`);
  if (sub !== 'status' && !key)
    throw usage(`provider ${sub} needs a provider (smsbat, smsbat/tg-viber, reach, email …)`);
  const health = await openProviderHealth(receiptIndexUrl, { autoFlush: false, log: () => undefined });
  try {
    if (sub !== 'status') {
      try {
        await health.force(key!, modes[sub], 'cli');
      } catch (err) {
        if (err instanceof RangeError) throw usage(err.message);
        throw err;
      }
    }
    const all = await health.status();
    const shown = key ? all.filter((s) => s.key === key || s.key.startsWith(`${key}/`)) : all;
    print(shown.length > 0 ? shown.map(describe).join('\n') : 'no provider has health records yet', shown);
    return 0;
  } finally {
    await health.close();
  }
}

function describe(s: ProviderHealthStatus): string {
  const r = s.recent;
  const rates = [
    `${r.flows} flows${r.errorRate === undefined ? '' : `, ${Math.round(r.errorRate * 100)} % send errors`}`,
    `${r.receipts} receipts${r.failedRate === undefined ? '' : `, ${Math.round(r.failedRate * 100)} % failed`}`,
  ].join('; ');
  const mode = s.mode === 'auto' ? '' : ` (forced ${s.mode})`;
  const since = s.since ? ` since ${s.since}` : '';
  const why = s.reason ? `: ${s.reason}` : '';
  const retry = s.retryAt ? `, probes from ${s.retryAt}` : '';
  return `${s.key}: ${s.state}${mode}${since}${why}${retry} [recent: ${rates}]`;
}
