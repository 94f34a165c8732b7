/**
 * Refuses secrets a person typed by hand instead of generating: `aaaa…`, `0000…`, `abab…`,
 * `0123456789…` repeated, `abcdefgh` four times, the bytes 0..31. Length alone lets those through.
 * The check is a floor, not a proof of randomness: it counts distinct symbols and the Shannon
 * entropy of their distribution (a random 32-byte key has ~30 distinct bytes and ~4.8 bits per
 * byte; 64 random hex characters ~3.8 bits per character), then looks for the two shapes that
 * pass those counts: a block repeated, and symbols that step by one constant (a sequence).
 */
export function weakSecretReason(symbols: ArrayLike<number> | string, minDistinct: number): string | undefined {
  const values = typeof symbols === 'string' ? Array.from(symbols, (c) => c.codePointAt(0)!) : Array.from(symbols);
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) bits -= (n / values.length) * Math.log2(n / values.length);
  const advice = 'generate one, e.g. `openssl rand -hex 32`';
  if (counts.size < minDistinct || bits < 3) {
    return `looks hand-made (${counts.size} distinct symbols, ${bits.toFixed(1)} bits each): ${advice}`;
  }
  const period = repeatedBlock(values);
  if (period) return `looks hand-made (a block of ${period} repeated): ${advice}`;
  if (inSequence(values)) return `looks hand-made (its symbols run in sequence): ${advice}`;
  return undefined;
}

/** The length of a block the whole secret repeats (a last partial copy allowed), if any. */
function repeatedBlock(values: number[]): number | undefined {
  for (let p = 1; p <= values.length / 2; p++) {
    let same = true;
    for (let i = p; i < values.length && same; i++) same = values[i] === values[i - p];
    if (same) return p;
  }
  return undefined;
}

/**
 * Most neighbours differ by one same step (`0123…`, `abcd…`, `0x00 0x01 …`, wrapping around as
 * `…89 01…` does): random symbols share a step with their neighbour far less than half the time.
 */
function inSequence(values: number[]): boolean {
  if (values.length < 8) return false;
  const steps = new Map<number, number>();
  for (let i = 1; i < values.length; i++) {
    const step = values[i] - values[i - 1];
    steps.set(step, (steps.get(step) ?? 0) + 1);
  }
  return Math.max(...steps.values()) >= (values.length - 1) / 2;
}
