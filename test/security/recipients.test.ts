import { normalizeEmail, normalizePhone } from '../../src/otp/recipients';

describe('who the abuse limits count', () => {
  test('a number libphonenumber cannot group falls back to a six-character prefix, not the whole number', () => {
    expect(normalizePhone('+38000631230001')).toMatchObject({ e164: '+3800631230001', prefix: '+38006' });
    expect(normalizePhone('+38000631230002').prefix).toBe(normalizePhone('+38000631230001').prefix);
    expect(normalizePhone('+999123456789').prefix).toBe('+99912');
    // Numbers it can group keep their numbering-plan prefix.
    expect(normalizePhone('+380 66 111 2233').prefix).toBe('+38066');
    expect(normalizePhone('+447400123456').prefix).toBe('+447400');
  });

  test.each([
    ['ann@me.com', 'ann@icloud.com'],
    ['Ann+x@MAC.com', 'ann@icloud.com'],
    ['ann@protonmail.com', 'ann@proton.me'],
    ['ann+tag@pm.me', 'ann@proton.me'],
    ['ann@protonmail.ch', 'ann@proton.me'],
    ['ann@ya.ru', 'ann@yandex.ru'],
    ['ann+1@yandex.com', 'ann@yandex.ru'],
    ['ann@yandex.ua', 'ann@yandex.ru'],
    ['ann@yandex.kz', 'ann@yandex.ru'],
    ['ann@outlook.de', 'ann@outlook.com'],
    ['ann+x@hotmail.co.uk', 'ann@outlook.com'],
    ['ann@live.com.au', 'ann@outlook.com'],
    ['ann@hotmail.com', 'ann@outlook.com'],
    ['j.doe+x@googlemail.com', 'jdoe@gmail.com'],
  ])("one provider's alias domains are one mailbox: %s → %s", (written, counted) => {
    expect(normalizeEmail(written)).toBe(counted);
  });

  test('other domains stay as written', () => {
    expect(normalizeEmail('ann+1@example.com')).toBe('ann+1@example.com');
    expect(normalizeEmail('ann@outlook.example.com')).toBe('ann@outlook.example.com');
    expect(normalizeEmail('ann@me.com.evil.test')).toBe('ann@me.com.evil.test');
  });
});
