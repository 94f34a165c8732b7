import { scrub, withRecipients } from '../../src/activities/failures';

const phone = '+380661112233';
const email = 'Ann.Lee+shop@Example.com';
const messageOnly = withRecipients({}, { phone, email });
const otp = withRecipients({ digits: true }, { phone, email });

describe('provider errors are scrubbed of the recipient however the provider wrote it', () => {
  test.each([
    ['Invalid phone +380 66 111 2233', 'Invalid phone [redacted]'],
    ['Invalid phone 0661112233 (code 21)', 'Invalid phone [redacted] (code 21)'],
    ['Invalid phone (066) 111-22-33', 'Invalid phone [redacted]'],
    ['Invalid phone 380-66-111-22-33', 'Invalid phone [redacted]'],
    ['Invalid phone 8 066 111 22 33', 'Invalid phone [redacted]'],
    ['Invalid phone 00380661112233', 'Invalid phone [redacted]'],
    ['to=%2B380661112233 refused', 'to=[redacted] refused'],
    ['Invalid phone +380 66 111', 'Invalid phone [redacted]'],
  ])('a message send: %s', (quoted, scrubbed) => {
    expect(scrub(quoted, messageOnly)).toBe(scrubbed);
  });

  test('an OTP send leaves no part of the number', () => {
    expect(scrub('Invalid phone +380 66 111 2233', otp)).toBe('Invalid phone [redacted]');
    expect(scrub('rejected: +380 66 111', otp)).toBe('rejected: [redacted]');
  });

  test('other numbers and the provider’s codes stay', () => {
    expect(scrub('error 400: field "phone" (code 21) at 12:30', messageOnly)).toBe(
      'error 400: field "phone" (code 21) at 12:30',
    );
    expect(scrub('Invalid phone +380 50 999 0000', messageOnly)).toBe('Invalid phone +380 50 999 0000');
  });

  test.each([
    ['550 <ann.lee+shop@example.com>: no such user', '550 <[redacted]>: no such user'],
    ['550 <ANN.LEE+SHOP@EXAMPLE.COM>: no such user', '550 <[redacted]>: no such user'],
    ['rcpt=ann.lee%2Bshop%40example.com refused', 'rcpt=[redacted] refused'],
    ['rcpt=Ann.Lee+shop%40Example.com refused', 'rcpt=[redacted] refused'],
  ])('an address: %s', (quoted, scrubbed) => {
    expect(scrub(quoted, messageOnly)).toBe(scrubbed);
  });
});
