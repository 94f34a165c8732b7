/**
 * Label values from fixed, small sets: what a metric label may carry (see catalog.ts).
 * Sandbox-safe: workflows use these too.
 */
import type { Step } from '../shared/schemas';

/** Country calling codes of two digits (ITU-T E.164 zones 2–9); 1 and 7 are one digit; all others three. */
const TWO_DIGIT = new Set([
  '20', '27', '30', '31', '32', '33', '34', '36', '39', '40', '41', '43', '44', '45', '46', '47', '48', '49',
  '51', '52', '53', '54', '55', '56', '57', '58', '60', '61', '62', '63', '64', '65', '66', '81', '82', '84',
  '86', '90', '91', '92', '93', '94', '95', '98',
]); // prettier-ignore

/**
 * The recipient's country calling code (`380`), the finest grain a label may have: at most a few
 * hundred values, where a numbering-plan prefix would be tens of thousands. `none` for email.
 */
export function countryCode(recipient: { phone?: string }): string {
  const digits = recipient.phone?.replace(/[^\d]/g, '') ?? '';
  if (!recipient.phone?.trim().startsWith('+') || digits.length < 4) return 'none';
  if (digits[0] === '1' || digits[0] === '7') return digits[0];
  const two = digits.slice(0, 2);
  return TWO_DIGIT.has(two) ? two : digits.slice(0, 3);
}

/** A step's route within its provider (SMSBAT's `standard` or `tg-viber`); `default` elsewhere. */
export function routeOf(step: Step): string {
  return 'route' in step && typeof step.route === 'string' ? step.route : 'default';
}

/** ISO 4217 codes as providers send them (`uah`, `UAH`); anything else is `other`. */
export function currencyLabel(currency: string | undefined): string {
  const c = currency?.trim().toUpperCase() ?? '';
  return /^[A-Z]{3}$/.test(c) ? c : 'other';
}

/** Why the abuse limits refused, as a word from a fixed set (their messages carry numbers). */
export function refusalReason(reason: string): string {
  if (/^[a-z_]{1,32}$/.test(reason)) return reason;
  if (/^blocked by /.test(reason)) return 'operator_block';
  if (/verified \(minimum/.test(reason)) return 'low_conversion';
  if (/were not verified/.test(reason)) return 'unverified_burst';
  if (/in an hour/.test(reason)) return 'hourly_quota';
  if (/in a day/.test(reason)) return 'daily_quota';
  if (/^blocked/.test(reason)) return 'blocked';
  return 'other';
}
