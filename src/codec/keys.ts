import { weakSecretReason } from '../security/secret-strength';

/**
 * Encryption keys with ids, for rotation: new payloads use the current (first) key, payloads
 * written under older keys still decrypt while their key is listed.
 * Format: `CASCADE_ENCRYPTION_KEYS="k2:<base64 32 bytes>,k1:<base64 32 bytes>"` (current first).
 * Errors name a key by its position, never by what was written: a list written the wrong way
 * round (`<key>:k1`) would otherwise echo the key material as its "id".
 */
export interface KeyRing {
  currentId: string;
  keys: Map<string, Buffer>;
}

export function parseKeyRing(spec: string): KeyRing {
  const keys = new Map<string, Buffer>();
  const entries = spec
    .split(/[,\n]/)
    .map((e) => e.trim())
    .filter(Boolean);
  entries.forEach((entry, i) => {
    const which = `key ${i + 1} of ${entries.length}`;
    const colon = entry.indexOf(':');
    if (colon <= 0) throw new Error(`${which}: write it as "<id>:<base64 of 32 bytes>"`);
    const id = entry.slice(0, colon);
    const key = Buffer.from(entry.slice(colon + 1), 'base64');
    if (!/^[A-Za-z0-9._-]{1,32}$/.test(id)) {
      throw new Error(
        `${which}: the id before ":" is 1–32 letters, digits or . _ - (is the list written "<id>:<key>"?)`,
      );
    }
    if (key.length !== 32) throw new Error(`${which} must be 32 bytes (AES-256), base64-encoded, after "<id>:"`);
    const weak = weakSecretReason(key, 16);
    if (weak) throw new Error(`${which} ${weak.replace('openssl rand -hex 32', 'openssl rand -base64 32')}`);
    if (keys.has(id)) throw new Error(`${which} repeats the id of an earlier key`);
    keys.set(id, key);
  });
  if (keys.size === 0) throw new Error('no encryption keys given');
  return { currentId: [...keys.keys()][0], keys };
}
