import { type SmsbatClient } from '../providers/smsbat/client';
import { SMSBAT_ID } from '../shared/channel-rules';
import { type Step } from '../shared/schemas';
import { type BatchRequest, type BatchResult, type ChannelAdapter, type SendRequest, type Sent } from './types';

type SmsbatStep = Extract<Step, { channel: 'smsbat' }>;

/**
 * SMSBAT's cascade (Telegram → Viber → RCS → SMS, smsbat.md §1). Its webhook is account-wide and
 * names only SMSBAT's message id: receipts go through the receipt index. Its `ttl` is the step's
 * expiry, so a step we fell back from does not deliver later. It offers no lookup by tracking id:
 * a retried send after a lost answer sends again (at-least-once, same tracking id); bulk batches
 * report such messages `unknown` instead (at most once) unless the campaign opts in to re-send.
 */
export class SmsbatChannel implements ChannelAdapter<SmsbatStep> {
  readonly channel = 'smsbat' as const;
  readonly receipts = 'index' as const;

  constructor(private readonly client: SmsbatClient) {}

  async send({ step, recipient, text, idempotencyKey, expirySeconds }: SendRequest<SmsbatStep>): Promise<Sent> {
    const { messageId } = await this.client.send(
      {
        id: smsbatTrackingId(idempotencyKey),
        fromName: step.fromName,
        toPhone: recipient.phone!,
        messageType: step.messageType,
        // A flash call verifies by the calling number itself and carries no text (§1).
        text: step.messageType === 'flashcall' ? undefined : text,
        ttl: expirySeconds,
        surveyOptions: step.surveyOptions,
      },
      { route: step.route },
    );
    return { providerMessageId: messageId, initial: accepted(messageId) };
  }

  async sendBatch({ step, messages, signal }: BatchRequest<SmsbatStep>): Promise<BatchResult[]> {
    const results = await this.client.sendBulk(
      messages.map((m) => ({
        id: m.id,
        fromName: step.fromName,
        toPhone: m.phone,
        messageType: step.messageType,
        text: step.messageType === 'flashcall' ? undefined : m.text,
        surveyOptions: step.surveyOptions,
      })),
      { route: step.route, batchSize: messages.length, signal },
    );
    return results.map((r) => (r.ok ? { ok: true, providerMessageId: r.messageId } : { ok: false, error: r.error }));
  }

  status(providerMessageId: string) {
    return this.client.getStatus(providerMessageId);
  }
}

/**
 * Our idempotency keys (`deliver:order-1.1.0`) as SMSBAT tracking ids: the page asks to avoid
 * special characters, so anything but letters, digits, `-` and `_` becomes `-`, with a short hash
 * of the original appended whenever that changed it, so two keys never map to one id.
 */
export function smsbatTrackingId(key: string): string {
  if (SMSBAT_ID.test(key)) return key;
  const safe = key.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 240);
  return `${safe}-${fnv1a(key)}`;
}

function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

function accepted(messageId: string) {
  return {
    provider: 'smsbat' as const,
    providerMessageId: messageId,
    state: 'pending' as const,
    rawStatus: 'accepted',
  };
}
