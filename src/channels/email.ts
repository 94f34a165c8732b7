import { type EmailClient } from '../providers/email/smtp';
import { type Step } from '../shared/schemas';
import { type ChannelAdapter, type SendRequest, type Sent } from './types';

type EmailStep = Extract<Step, { channel: 'email' }>;

/**
 * Email over SMTP, the last resort. SMTP has no delivery receipt: a message the relay accepts is
 * delivered as far as we can know, and the idempotency key becomes its Message-ID so a retried
 * send can be recognised by the receiving side.
 */
export class EmailChannel implements ChannelAdapter<EmailStep> {
  readonly channel = 'email' as const;
  readonly receipts = 'none' as const;

  constructor(private readonly client: EmailClient) {}

  async send({ step, recipient, text, idempotencyKey, title }: SendRequest<EmailStep>): Promise<Sent> {
    const initial = await this.client.send({
      to: recipient.email!,
      from: step.from,
      subject: step.subject ?? title,
      text,
      idempotencyKey,
    });
    return { providerMessageId: initial.providerMessageId, initial };
  }

  async status(providerMessageId: string) {
    return { provider: 'email' as const, providerMessageId, state: 'delivered' as const, rawStatus: 'accepted' };
  }
}
