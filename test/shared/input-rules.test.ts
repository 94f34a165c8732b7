import { DeliverMessageInputSchema, describeIssues, OtpInputSchema } from '../../src/shared/schemas';

/**
 * What the providers would refuse is refused at input, naming the field, before a workflow starts
 * (the same schemas run in CascadeClient, the CLI and the workflows' checkInput activity).
 */
const phone = '+380501234567';
const issues = (result: { success: boolean; error?: Parameters<typeof describeIssues>[0] }) =>
  result.success ? [] : describeIssues(result.error!);

describe('input rules where the user makes the mistake', () => {
  test('Reach src: "My-Shop" is refused naming steps.0.src; E.164 and alphanumeric ids with spaces pass', () => {
    const message = (src: string) =>
      DeliverMessageInputSchema.safeParse({
        trackingId: 't1',
        recipient: { phone },
        text: 'hi',
        steps: [{ channel: 'reach', src }],
      });
    expect(issues(message('My-Shop'))).toEqual([expect.objectContaining({ path: 'steps.0.src' })]);
    expect(issues(message('TwelveChars1'))[0]?.path).toBe('steps.0.src');
    expect(issues(message('12345'))[0]?.path).toBe('steps.0.src'); // digits only: not a sender id
    for (const ok of ['MyShop', 'My Shop', 'Shop24', '+380501234567']) expect(message(ok).success).toBe(true);
  });

  test('a 1600-character GSM-7 text is accepted for Reach; 1601 characters, or 1600 with one €, are refused', () => {
    const reach = (text: string) =>
      DeliverMessageInputSchema.safeParse({
        trackingId: 't2',
        recipient: { phone },
        text,
        steps: [{ channel: 'reach', src: 'Shop' }],
      });
    expect(reach('x'.repeat(1600)).success).toBe(true);
    expect(issues(reach('x'.repeat(1601)))[0]?.path).toBe('text');
    expect(issues(reach(`${'x'.repeat(1599)}€`))[0]?.path).toBe('text'); // € is two septets
  });

  test('a flashcall step is refused in an OTP chain (it cannot carry the code), allowed for a plain message', () => {
    const steps = [{ channel: 'smsbat', fromName: 'Shop', messageType: 'flashcall' }, { channel: 'email' }];
    const otp = OtpInputSchema.safeParse({
      trackingId: 't3',
      recipient: { phone, email: 'a@example.com' },
      steps,
      template: 'Code {code}',
    });
    expect(issues(otp)).toEqual([
      expect.objectContaining({ path: 'steps.0.messageType', message: expect.stringMatching(/flashcall/) }),
    ]);
    // A plain message may ring first and fall back to a text (the flash call sends no text).
    const plain = DeliverMessageInputSchema.safeParse({
      trackingId: 't3',
      recipient: { phone },
      text: 'Your parcel is on its way',
      steps: [
        { channel: 'smsbat', fromName: 'Shop', messageType: 'flashcall' },
        { channel: 'reach', src: 'Shop' },
      ],
    });
    expect(plain.success).toBe(true);
  });

  test('survey text is counted as the provider counts it, at input: 85 characters pass, 86 do not', () => {
    const survey = (text: string) =>
      DeliverMessageInputSchema.safeParse({
        trackingId: 't4',
        recipient: { phone },
        text,
        steps: [{ channel: 'smsbat', fromName: 'Shop', messageType: 'viber_survey', surveyOptions: ['Yes', 'No'] }],
      });
    // 85 emoji are 170 UTF-16 units: still 85 characters.
    expect(survey('😀'.repeat(85)).success).toBe(true);
    expect(issues(survey('a'.repeat(86)))[0]?.path).toBe('text');
  });

  test('an OTP template that renders too long for a step is refused naming template', () => {
    const otp = OtpInputSchema.safeParse({
      trackingId: 't5',
      recipient: { phone },
      steps: [{ channel: 'reach', src: 'Shop' }],
      template: `${'x'.repeat(1595)} {code}`,
    });
    expect(issues(otp)[0]?.path).toBe('template');
  });
});
