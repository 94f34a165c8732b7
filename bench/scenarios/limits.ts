import { randomUUID } from 'node:crypto';
import { LimitStore, type AdmitSubject } from '../../src/limits/store';
import { type LimitBackend } from '../../src/limits/types';
import { DEFAULT_LIMITS } from '../../src/shared/limits';

const HOUR = 3_600_000;

/** A fresh run to a distinct recipient of `prefix`. */
function subject(prefix: string): AdmitSubject {
  const id = randomUUID();
  return {
    flowKey: `otp:bench-${id}/${id}`,
    recipientKeys: [id.slice(0, 32)],
    phone: { prefix, country: prefix.slice(0, 4) },
  };
}

/**
 * The detection rules on the DEFAULT policy, in simulated time: the store takes an injected clock,
 * so hours of traffic run in seconds, through the same store and transactions the flows use (the
 * flows' own part, one local activity per start, is what the OTP section measures).
 *
 * - realistic: `perHour` codes an hour to one prefix for `hours`, 75 % of them verified 20–90 s
 *   after the start, the rest never; refusals counted over the whole run (past every window).
 * - pumping: a fresh prefix, 3 codes a second, none verified; codes sent and seconds until the
 *   first refusal.
 */
export async function measureLimitRules(
  open: () => Promise<LimitBackend>,
  options: { perHour: number; hours: number },
) {
  let clock = Date.UTC(2026, 0, 5, 8);
  const realistic = new LimitStore(await open(), DEFAULT_LIMITS, () => clock);
  let refused = 0;
  let sent = 0;
  const pending: { key: string; at: number }[] = [];
  const gap = HOUR / options.perHour;
  for (let i = 0; i < options.perHour * options.hours; i++) {
    clock += gap;
    const s = subject('+38067');
    const verdict = await realistic.admit(s);
    if (!verdict.allowed) refused++;
    else sent++;
    if (i % 4 !== 3) pending.push({ key: s.flowKey, at: clock + 20_000 + ((i * 7919) % 70_000) });
    const due = pending.filter((p) => p.at <= clock);
    for (const p of due) await realistic.convert(p.key);
    pending.splice(0, pending.length, ...pending.filter((p) => p.at > clock));
  }
  await realistic.close();

  const pumped = new LimitStore(await open(), DEFAULT_LIMITS, () => clock);
  const start = clock;
  let codesSent = 0;
  let firstRefusalAfterMs = Number.NaN;
  for (let i = 0; i < 2000; i++) {
    clock += 1000 / 3;
    if ((await pumped.admit(subject('+38099'))).allowed) codesSent++;
    else {
      firstRefusalAfterMs = clock - start;
      break;
    }
  }
  await pumped.close();
  return {
    realisticCodesPerHour: options.perHour,
    realisticHours: options.hours,
    realisticSent: sent,
    realisticRefusals: refused,
    pumpingCodesSent: codesSent,
    pumpingSecondsToFirstRefusal: firstRefusalAfterMs / 1000,
  };
}

/**
 * The store's own throughput: admissions (the decision of one start, one transaction) one at a
 * time and `parallel` at once, over four prefixes of one country, distinct recipients, each run's
 * conversion recorded for three in four.
 */
export async function measureLimitStore(backend: LimitBackend, count: number, parallel = 8) {
  const store = new LimitStore(backend, { ...DEFAULT_LIMITS, perPrefixHour: 1e9, perCountryHour: 1e9 });
  const prefixes = ['+38063', '+38066', '+38067', '+38068'];
  let refused = 0;
  const one = async (i: number) => {
    const s = subject(prefixes[i % 4]);
    if (!(await store.admit(s)).allowed) refused++;
    // Three in four converted, in every prefix.
    if (Math.floor(i / 4) % 4 !== 3) await store.convert(s.flowKey);
  };
  const t0 = Date.now();
  for (let i = 0; i < count; i++) await one(i);
  const serialMs = Date.now() - t0;
  const t1 = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) await one(next++);
    }),
  );
  const parallelMs = Date.now() - t1;
  await store.close();
  return {
    decisionsPerSec: (count / serialMs) * 1000,
    decisionsPerSecParallel: (count / parallelMs) * 1000,
    refused,
  };
}
