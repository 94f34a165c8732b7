import { type AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';
import { type SimContext } from './context';
import { type SimMessage } from './types';

/**
 * An SMTP server that captures mail. SMTP has no delivery receipt: a message the server accepts
 * counts as delivered. A recipient scripted to fail (or ending in …998 / …400) is refused at
 * RCPT TO with 550, which is what a real relay does for a mailbox it will not take.
 */
export class SmtpSim {
  private readonly server: SMTPServer;
  private captured: SimMessage[] = [];
  private port = 0;
  private host = '127.0.0.1';
  private seq = 0;

  constructor(private readonly ctx: SimContext) {
    this.server = new SMTPServer({
      authOptional: true,
      // Loopback only: let clients with credentials in SMTP_URL log in without TLS.
      allowInsecureAuth: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      size: 10 * 1024 * 1024,
      onAuth: (_auth, _session, cb) => cb(null, { user: 'sim' }),
      onRcptTo: (address, _session, cb) => this.onRcptTo(address, cb),
      onData: (stream, session, cb) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          const messageId = `sim-mail-${++this.seq}`;
          for (const rcpt of session.envelope.rcptTo) {
            this.captured.push({
              provider: 'email',
              messageId,
              recipient: rcpt.address,
              text: bodyOf(raw),
              status: 'delivered',
              acceptedAt: this.ctx.now(),
              fields: {
                from: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
                subject: header(raw, 'subject'),
                messageIdHeader: header(raw, 'message-id'),
                raw,
              },
            });
          }
          cb(null, `Queued as ${messageId}`);
        });
      },
    });
    this.server.on('error', () => undefined);
  }

  private onRcptTo(address: SMTPServerAddress, cb: (err?: Error | null) => void): void {
    const { outcome } = this.ctx.faults.shape(this.ctx.scenario.resolve('email', address.address));
    if (outcome.kind === 'fail' || outcome.kind === 'reject') {
      const err = new Error(`Mailbox ${address.address} unavailable`) as Error & { responseCode: number };
      err.responseCode = outcome.kind === 'reject' && outcome.status < 500 ? 450 : 550;
      return cb(err);
    }
    cb();
  }

  async start(host: string, port: number): Promise<void> {
    this.host = host;
    await new Promise<void>((resolve, reject) => {
      this.server.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    this.port = (this.server.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `smtp://${this.host}:${this.port}`;
  }

  messages(): SimMessage[] {
    return [...this.captured];
  }

  reset(): void {
    this.captured = [];
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function header(raw: string, name: string): string | undefined {
  const head = raw.split(/\r?\n\r?\n/, 1)[0];
  const m = new RegExp(`^${name}:\\s*(.*(?:\\r?\\n[ \\t].*)*)`, 'im').exec(head);
  return m ? m[1].replace(/\r?\n[ \t]/g, ' ').trim() : undefined;
}

function bodyOf(raw: string): string {
  const i = raw.search(/\r?\n\r?\n/);
  return i < 0 ? '' : raw.slice(i).trim();
}
