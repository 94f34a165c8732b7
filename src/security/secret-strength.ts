/**
 * Refuses secrets a person typed by hand instead of generating: `aaaa…`, `0000…`, `abab…`. Length
 * alone lets those through. The check is a floor, not a proof of randomness: it counts distinct
 * symbols and the Shannon entropy of their distribution (a random 32-byte key has ~30 distinct
 * bytes and ~4.8 bits per byte; 64 random hex characters ~3.8 bits per character).
 */
export function weakSecretReason(symbols: ArrayLike<number> | string, minDistinct: number): string | undefined {
  const values = typeof symbols === 'string' ? Array.from(symbols, (c) => c.codePointAt(0)!) : Array.from(symbols);
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) bits -= (n / values.length) * Math.log2(n / values.length);
  if (counts.size < minDistinct || bits < 3) {
    return `looks hand-made (${counts.size} distinct symbols, ${bits.toFixed(1)} bits each): generate one, e.g. \`openssl rand -hex 32\``;
  }
  return undefined;
}
