import { randomBytes } from 'node:crypto';
import { parseKeyRing } from '../../src/codec/keys';
import { loadConfig } from '../../src/config';
import { weakSecretReason } from '../../src/security/secret-strength';

describe('hand-made secrets are refused by their pattern, not only by their symbol counts', () => {
  test.each([
    ['0123456789 repeated', '0123456789'.repeat(5)],
    ['abcdefgh four times', 'abcdefgh'.repeat(4)],
    ['the alphabet', 'abcdefghijklmnopqrstuvwxyz0123456789'],
    ['a block of 12 repeated', 'k7Qz!x9Lm2Pw'.repeat(4)],
  ])('a string: %s', (_name, secret) => {
    expect(weakSecretReason(secret, 8)).toMatch(/hand-made/);
  });

  test('bytes 0..31 as an encryption key', () => {
    const ramp = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
    expect(weakSecretReason(ramp, 16)).toMatch(/in sequence/);
    expect(() => parseKeyRing(`k1:${ramp.toString('base64')}`)).toThrow(/key 1 of 1 looks hand-made/);
    const down = Buffer.from(Array.from({ length: 32 }, (_, i) => 255 - i * 3));
    expect(weakSecretReason(down, 16)).toMatch(/hand-made/);
  });

  test('generated secrets pass, every time', () => {
    for (let i = 0; i < 500; i++) {
      expect(weakSecretReason(randomBytes(32), 16)).toBeUndefined();
      expect(weakSecretReason(randomBytes(32).toString('hex'), 8)).toBeUndefined();
      expect(weakSecretReason(randomBytes(24).toString('base64'), 8)).toBeUndefined();
    }
  });

  test('configuration names the variable', () => {
    expect(() => loadConfig({ CASCADE_ENCRYPTION: 'off', CASCADE_OTP_SECRET: '0123456789'.repeat(4) })).toThrow(
      /CASCADE_OTP_SECRET: .*hand-made/,
    );
  });
});

describe('key material is never quoted in an error', () => {
  // 24 bytes in base64 with neither + nor / : 32 characters that pass for an id when written first.
  function idLikeMaterial(): string {
    for (;;) {
      const m = randomBytes(24).toString('base64');
      if (/^[A-Za-z0-9]+$/.test(m)) return m;
    }
  }

  test('an entry written "<key>:<id>" is refused without echoing the key', () => {
    const material = idLikeMaterial();
    let message = '';
    try {
      parseKeyRing(`${material}:k1`);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/key 1 of 1/);
    expect(message).not.toContain(material.slice(0, 8));
  });

  test('nor through the configuration', () => {
    const material = idLikeMaterial();
    let message = '';
    try {
      loadConfig({ CASCADE_ENCRYPTION_KEYS: `k0:${randomBytes(32).toString('base64')},${material}:k1` });
    } catch (err) {
      message = `${(err as Error).message} ${JSON.stringify(err)}`;
    }
    expect(message).toMatch(/CASCADE_ENCRYPTION_KEYS: key 2 of 2/);
    expect(message).not.toContain(material.slice(0, 8));
  });
});
