import { createHmac } from 'node:crypto';

/**
 * The `X-Reach-Signature` the simulator puts on every status callback (reach.md, "Signature"):
 * HMAC-SHA1, keyed with the account's API key, over the callback URL exactly as it was given to
 * Reach, followed by each form parameter as `name + value` with the names sorted; a parameter with
 * several values contributes each distinct value once, values sorted. Base64 of the digest.
 *
 * Written for the simulator from the spec alone, so a mistake in the clients' validator cannot be
 * mirrored here (test/sim checks it against the official test vectors).
 */
export function signReachCallback(apiKey: string, url: string, params: Record<string, string | string[]>): string {
  const pieces = [url];
  for (const name of Object.keys(params).sort()) {
    const given = params[name];
    const values = typeof given === 'string' ? [given] : Array.from(new Set(given)).sort();
    for (const value of values) pieces.push(name, value);
  }
  return createHmac('sha1', apiKey).update(pieces.join(''), 'utf8').digest('base64');
}
