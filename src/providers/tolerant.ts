import { z } from 'zod';

/**
 * Tolerant readers for what providers send us (answers, webhooks, callbacks). Real providers send
 * nulls, numbers as strings, times without a zone and fields nobody documented; a receipt that
 * carries a message id and a status word must never be refused for any of that. Each reader turns
 * what it cannot read into `undefined`, and `unreadableFields` names the fields that had a value
 * we could not read, so callers can log them by name (never by value: they may be personal data).
 */

/** A string, a number or a boolean as a trimmed string; null, empty or anything else → undefined. */
export const looseString = z
  .unknown()
  .optional()
  .transform((v): string | undefined => {
    if (typeof v === 'string') return v.trim() === '' ? undefined : v.trim();
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
    if (typeof v === 'boolean') return String(v);
    return undefined;
  });

/** A finite number, or a string holding one (`"0.05"`, `"0,05"`); anything else → undefined. */
export const looseNumber = z
  .unknown()
  .optional()
  .transform((v): number | undefined => {
    if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
    if (typeof v !== 'string') return undefined;
    const s = v.trim().replace(',', '.');
    if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(s)) return undefined;
    return Number(s);
  });

/** A non-negative whole number, or a string holding one. */
export const looseCount = looseNumber.transform((n) =>
  n !== undefined && Number.isInteger(n) && n >= 0 ? n : undefined,
);

const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * An ISO 8601 date-time as a canonical UTC string. A time without a zone is read as UTC: SMSBAT's
 * page asks for UTC and its own examples' languages (Python `isoformat()`) print no zone.
 */
export function readTime(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const m = ISO_DATE_TIME.exec(value.trim());
  if (!m) return undefined;
  const zone = m[8] ? m[8].toUpperCase().replace(/^([+-]\d{2})(\d{2})$/, '$1:$2') : 'Z';
  const at = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? '00'}${m[7] ?? ''}${zone}`);
  return Number.isNaN(at) ? undefined : new Date(at).toISOString().replace('.000Z', 'Z');
}

export const looseTime = z.unknown().optional().transform(readTime);

/**
 * Fields present with a value (not null, not empty) whose reading came out undefined: what a
 * receiver logs by name. `parsed` is the tolerant reader's output for `raw`.
 */
export function unreadableFields(raw: unknown, parsed: Record<string, unknown>, fields: string[]): string[] {
  if (typeof raw !== 'object' || raw === null) return [];
  const source = raw as Record<string, unknown>;
  return fields.filter((f) => {
    const v = source[f];
    return v !== undefined && v !== null && v !== '' && parsed[f] === undefined;
  });
}
