import { createServer, type AddressInfo, type Socket } from 'node:net';
import { ProviderError, ProviderRequestError } from '../../src/providers/errors';
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

describe('EmailClient against relays that misbehave', () => {
  test('a server that accepts the connection but never greets fails after the configured timeout, retryably', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((s) => void sockets.push(s)); // never writes a 220 greeting
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const { port } = silent.address() as AddressInfo;
    const email = new EmailClient({ url: `smtp://127.0.0.1:${port}`, from: 'noreply@example.com', timeoutMs: 700 });
    try {
      const started = Date.now();
      const err = await email.send({ to: 'ann@example.com', subject: 's', text: 't' }).catch((e) => e);
      const took = Date.now() - started;
      expect(err).toBeInstanceOf(ProviderError);
      expect(err.retryable).toBe(true);
      // nodemailer's own default would wait 30 s for the greeting (700 ms configured; the margin is for a busy machine).
      expect(took).toBeLessThan(15_000);
    } finally {
      await email.close();
      sockets.forEach((s) => s.destroy());
      await new Promise((r) => silent.close(r));
    }
  });

  test('credentials never go in clear to another host: STARTTLS is required there', async () => {
    // A relay that greets and offers no STARTTLS: the client must refuse to authenticate.
    const sockets: Socket[] = [];
    const plain = createServer((s) => {
      sockets.push(s);
      s.write('220 plain.example ESMTP\r\n');
      s.on('data', (d) => {
        const line = d.toString();
        if (/^EHLO/i.test(line)) s.write('250-plain.example\r\n250 AUTH PLAIN LOGIN\r\n');
        else if (/^QUIT/i.test(line)) s.end('221 bye\r\n');
        else s.write('502 no\r\n');
      });
    });
    await new Promise<void>((r) => plain.listen(0, '127.0.0.2', () => r()));
    const { port } = plain.address() as AddressInfo;
    const email = new EmailClient({
      url: `smtp://user:secret@127.0.0.2:${port}`,
      from: 'noreply@example.com',
      timeoutMs: 2000,
    });
    try {
      const err = await email.send({ to: 'ann@example.com', subject: 's', text: 't' }).catch((e) => e);
      expect(err).toBeInstanceOf(ProviderError);
      expect(String(err.message)).toMatch(/STARTTLS|TLS/i);
      expect(String(err.message)).not.toContain('secret');
    } finally {
      await email.close();
      sockets.forEach((s) => s.destroy());
      await new Promise((r) => plain.close(r));
    }
  });
});
