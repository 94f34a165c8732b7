/**
 * A LimitPolicy in a JSON file, read by one parser: the worker that enforces it
 * (`limits: loadLimitPolicy(file)`) and the operator who asks what it decides
 * (`temporal-cascade guard status <prefix> --policy <file>`) then read the very same policy.
 * Fields the file leaves out are DEFAULT_LIMITS'; a misspelt field is an error, not a default.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../config';
import { DEFAULT_LIMITS, type LimitPolicy } from '../shared/limits';

const count = z.number().int().nonnegative();
const ms = z.number().int().positive();
const rate = z.number().min(0).max(1);

export const LimitPolicyFileSchema = z.strictObject({
  perRecipientHour: count.optional(),
  perRecipientDay: count.optional(),
  perPrefixHour: count.optional(),
  perCountryHour: count.optional(),
  conversion: z
    .strictObject({
      minFlows: count.optional(),
      minRate: rate.optional(),
      settleAfterMs: ms.optional(),
      windowMs: ms.optional(),
      relative: rate.optional(),
      baselineMin: count.optional(),
    })
    .optional(),
  burst: z
    .strictObject({
      maxUnverified: count.optional(),
      windowMs: ms.optional(),
      factor: z.number().positive().optional(),
    })
    .optional(),
  blockSchedule: z.array(ms).min(1).optional(),
  tripMemoryMs: ms.optional(),
  mode: z.enum(['enforce', 'monitor']).optional(),
  guardTimeoutMs: ms.optional(),
  failOpen: z.boolean().optional(),
});

/** A policy from parsed JSON, over DEFAULT_LIMITS; ConfigError naming each bad field. */
export function parseLimitPolicy(value: unknown, source = 'limit policy'): LimitPolicy {
  const parsed = LimitPolicyFileSchema.safeParse(value);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${source}: ${i.path.join('.') || '(file)'}: ${i.message}`));
  }
  const { conversion, burst, ...rest } = parsed.data;
  return {
    ...DEFAULT_LIMITS,
    ...rest,
    conversion: { ...DEFAULT_LIMITS.conversion, ...conversion },
    burst: { ...DEFAULT_LIMITS.burst!, ...burst },
  };
}

/** A policy from a JSON file (see parseLimitPolicy). */
export function loadLimitPolicy(file: string): LimitPolicy {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([
      `${file}: cannot read the limit policy (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    ]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ConfigError([`${file}: not JSON`]);
  }
  return parseLimitPolicy(json, file);
}
