import { msToNumber } from '@temporalio/common/lib/time';

/** A Temporal duration string (`'90s'`, `'10m'`, `'7d'`) or milliseconds. */
export type DurationInput = string | number;

export function toMs(duration: DurationInput): number {
  return msToNumber(duration as Parameters<typeof msToNumber>[0]);
}

export function isValidDuration(duration: DurationInput): boolean {
  try {
    const ms = toMs(duration);
    return Number.isFinite(ms) && ms >= 0;
  } catch {
    return false;
  }
}
