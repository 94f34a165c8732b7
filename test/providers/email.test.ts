import { ProviderRequestError } from '../../src/providers/errors';
import { EmailClient } from '../../src/providers/email/smtp';
import { startSimulator, type Simulator } from '../../src/sim/server';

describe('EmailClient against the SMTP capture server', () => {
  let sim: Simulator;
  let email: EmailClient;
  beforeAll(async () => {
    sim = await startSimulator({ deliveryDelayMs: 0 });
    email = new EmailClient({ url: sim.smtpUrl!, from: 'noreply@example.com' });
  });
  afterAll(async () => {
    await email.close();
    await sim.close();
  });

  test('an accepted message is delivered (SMTP has no receipts), with our Message-ID', async () => {
    const status = await email.send({
      to: 'ann@example.com',
      subject: 'Your code',
      text: 'Code: 123456',
      idempotencyKey: 'otp-1.1.2',
    });
    expect(status).toMatchObject({
      provider: 'email',
      state: 'delivered',
      providerMessageId: '<otp-1.1.2@temporal-cascade>',
    });
    const [mail] = sim.messages('email');
    expect(mail).toMatchObject({
      recipient: 'ann@example.com',
      fields: { subject: 'Your code', from: 'noreply@example.com' },
    });
    expect(mail.text).toContain('Code: 123456');
  });

  test('a refused mailbox (550) fails without retry', async () => {
    const err = await email.send({ to: 'gone998@example.com', subject: 's', text: 't' }).catch((e) => e);
    expect(err).toBeInstanceOf(ProviderRequestError);
    expect(err).toMatchObject({ provider: 'email', retryable: false, code: '550' });
  });

  test('bad addresses are refused before connecting', async () => {
    const err = await email.send({ to: 'not-an-address', subject: 's', text: 't' }).catch((e) => e);
    expect(err).toBeInstanceOf(ProviderRequestError);
    expect(err.field).toBe('to');
  });
});
