import { createHash, randomBytes } from 'node:crypto';
import { sha256Hex } from '../../src/shared/sha256';

describe('sha256Hex (workflow-safe SHA-256)', () => {
  test.each(['', 'abc', 'otp1.6.' + 'x'.repeat(43), 'é€ж'.repeat(30), 'a'.repeat(55), 'a'.repeat(56), 'a'.repeat(64)])(
    'matches node:crypto for %#',
    (text) => {
      expect(sha256Hex(text)).toBe(createHash('sha256').update(text, 'utf8').digest('hex'));
    },
  );

  test('matches node:crypto on random inputs', () => {
    for (let i = 0; i < 50; i++) {
      const text = randomBytes(i * 7).toString('base64');
      expect(sha256Hex(text)).toBe(createHash('sha256').update(text).digest('hex'));
    }
  });
});
