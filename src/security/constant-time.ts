import { timingSafeEqual } from 'node:crypto';

/** Compares two secrets (tokens, signatures) in time that does not depend on where they differ. */
export function secretsEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
