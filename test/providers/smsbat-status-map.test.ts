import { ProviderRequestError } from '../../src/providers/errors';
import { parseSmsbatWebhook } from '../../src/providers/smsbat/client';
import { StatusResponseSchema } from '../../src/providers/smsbat/schemas';
import { smsbatState, statusFromResponse } from '../../src/providers/smsbat/status-map';

/** The status answers printed in seed 002 (smsbat.md §2), parsed as the client parses them. */
const BASIC = StatusResponseSchema.parse({
  messagelistId: 123456,
  messageId: 'abc123def456',
  deliverystatus: 'delivered',
  partscount: 1,
  cost: 0.05,
});
const EXTENDED = StatusResponseSchema.parse({
  ...BASIC,
  fallbacks: [{ type: 'sms', status: 'not_used' }],
  extendedStatuses: { viber: 'delivered', sms: 'not_used' },
  rate: 0.05,
  rateAmount: 0.05,
  rateCurrency: 'USD',
  billAmount: 0.05,
  billCurrency: 'USD',
});

describe('SMSBAT deliverystatus → the shared delivery state (smsbat.md §2)', () => {
  test.each([
    ['scheduled', 'pending'],
    ['processing', 'pending'],
    ['delivered', 'delivered'],
    ['undeliverable', 'failed'],
    ['permanenterror', 'failed'],
  ])('%s is %s', (word, state) => {
    expect(smsbatState(word)).toBe(state);
  });

  test.each(['rerouted', '', 'constructor', 'hasOwnProperty'])(
    'an unlisted word (%j) is unknown, never a crash or an inherited property',
    (word) => {
      expect(smsbatState(word)).toBe('unknown');
    },
  );

  test.each([
    ['Delivered', 'delivered'],
    ['UNDELIVERABLE', 'failed'],
    [' processing ', 'pending'],
  ])('a word in another case or with spaces (%j) is still known: %s', (word, state) => {
    expect(smsbatState(word)).toBe(state);
  });
});

describe('status answers → DeliveryStatus', () => {
  test('the basic answer: id, state, raw word and cost; no channel or currency is invented', () => {
    expect(statusFromResponse('abc123def456', BASIC)).toEqual({
      provider: 'smsbat',
      providerMessageId: 'abc123def456',
      state: 'delivered',
      rawStatus: 'delivered',
      cost: 0.05,
      parts: 1,
    });
  });

  test('the extended answer adds the channel that delivered and the billing currency', () => {
    expect(statusFromResponse('abc123def456', EXTENDED)).toEqual({
      provider: 'smsbat',
      providerMessageId: 'abc123def456',
      state: 'delivered',
      rawStatus: 'delivered',
      cost: 0.05,
      currency: 'USD',
      channel: 'viber',
      parts: 1,
      fallbacks: [{ channel: 'sms', status: 'not_used' }],
    });
  });

  test("the billed amount and currency win over cost and rate; a cost is never paired with the rate's currency", () => {
    const status = statusFromResponse('m1', { ...EXTENDED, cost: 0.05, billAmount: 0.06, billCurrency: 'UAH' });
    expect(status).toMatchObject({ cost: 0.06, currency: 'UAH' });
    const rateOnly = statusFromResponse('m1', { ...BASIC, rateCurrency: 'EUR' });
    expect(rateOnly).toMatchObject({ cost: 0.05 });
    expect(rateOnly.currency).toBeUndefined();
    // The account's currency (SMSBAT_CURRENCY) is the basic answer's, when configured.
    expect(statusFromResponse('m1', BASIC, 'USD')).toMatchObject({ cost: 0.05, currency: 'USD' });
  });

  test('every field but the status may be null, or a number written as a string', () => {
    const answer = StatusResponseSchema.parse({
      messagelistId: null,
      messageId: null,
      deliverystatus: 'delivered',
      partscount: '2',
      cost: '0.05',
      fallbacks: null,
      extendedStatuses: null,
      rate: null,
      billAmount: null,
      billCurrency: null,
      somethingNew: { a: 1 },
    });
    expect(statusFromResponse('m9', answer)).toEqual({
      provider: 'smsbat',
      providerMessageId: 'm9',
      state: 'delivered',
      rawStatus: 'delivered',
      cost: 0.05,
      parts: 2,
    });
  });

  test('an early short answer has no id or cost: the id we asked about stands in', () => {
    const early = StatusResponseSchema.parse({ deliverystatus: 'scheduled', partscount: 1 });
    const status = statusFromResponse('3fa85f64-5717-4562-b3fc-2c963f66afa6', early);
    expect(status).toEqual({
      provider: 'smsbat',
      providerMessageId: '3fa85f64-5717-4562-b3fc-2c963f66afa6',
      state: 'pending',
      rawStatus: 'scheduled',
      parts: 1,
    });
    expect(status.cost).toBeUndefined();
  });

  test('a failed cascade names no channel and costs 0', () => {
    const failed = StatusResponseSchema.parse({
      deliverystatus: 'undeliverable',
      partscount: 1,
      cost: 0.0,
      extendedStatuses: { telegram: 'undeliverable', viber: 'undeliverable', sms: 'undeliverable' },
    });
    const status = statusFromResponse('m2', failed);
    expect(status).toMatchObject({ state: 'failed', rawStatus: 'undeliverable', cost: 0 });
    expect(status.channel).toBeUndefined();
  });

  test('an unknown word keeps its raw value', () => {
    expect(statusFromResponse('m3', { ...BASIC, deliverystatus: 'rerouted' })).toMatchObject({
      state: 'unknown',
      rawStatus: 'rerouted',
    });
  });
});

describe('delivery webhooks → DeliveryStatus (smsbat.md §3)', () => {
  const SEED_WEBHOOK = {
    messageId: 'abc123def456',
    deliverystatus: 'delivered',
    timestamp: '2025-01-23T10:30:00Z',
    cost: 0.05,
  };

  test("the seed's example: the event time is the provider's timestamp", () => {
    expect(parseSmsbatWebhook(SEED_WEBHOOK)).toEqual({
      provider: 'smsbat',
      providerMessageId: 'abc123def456',
      state: 'delivered',
      rawStatus: 'delivered',
      cost: 0.05,
      occurredAt: '2025-01-23T10:30:00Z',
    });
  });

  test('without a timestamp there is no event time (never the clock of the receiver)', () => {
    expect(parseSmsbatWebhook({ messageId: 'm4', deliverystatus: 'processing' })).toEqual({
      provider: 'smsbat',
      providerMessageId: 'm4',
      state: 'pending',
      rawStatus: 'processing',
    });
  });

  test('an unknown word in a webhook is unknown, raw kept', () => {
    expect(parseSmsbatWebhook({ ...SEED_WEBHOOK, deliverystatus: 'expired' })).toMatchObject({
      state: 'unknown',
      rawStatus: 'expired',
    });
  });

  test.each([
    ['no messageId', { deliverystatus: 'delivered' }, 'messageId'],
    ['an empty messageId', { messageId: '', deliverystatus: 'delivered' }, 'messageId'],
    ['no deliverystatus', { messageId: 'm5' }, 'deliverystatus'],
    ['a null deliverystatus', { messageId: 'm5', deliverystatus: null }, 'deliverystatus'],
    ['not an object', 'delivered', 'body'],
  ])('a body with %s is refused, naming the field', (_name, body, field) => {
    let error: unknown;
    try {
      parseSmsbatWebhook(body);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ProviderRequestError);
    expect(error).toMatchObject({ provider: 'smsbat', field, retryable: false });
  });
});

describe('tolerant reading: a receipt with a message id and a status is never refused', () => {
  const base = { messageId: 'abc', deliverystatus: 'delivered' };

  test('cost null, cost as a string, a number as the id', () => {
    expect(parseSmsbatWebhook({ ...base, cost: null })).not.toHaveProperty('cost');
    expect(parseSmsbatWebhook({ ...base, cost: '0.05' })).toMatchObject({ cost: 0.05 });
    expect(parseSmsbatWebhook({ ...base, messageId: 12345 })).toMatchObject({ providerMessageId: '12345' });
  });

  test('a time without a zone is read as UTC; one that cannot be read is named, not refused', () => {
    expect(parseSmsbatWebhook({ ...base, timestamp: '2025-01-23T10:30:00' })).toMatchObject({
      occurredAt: '2025-01-23T10:30:00Z',
    });
    expect(parseSmsbatWebhook({ ...base, timestamp: '2025-01-23 12:30:00+02:00' })).toMatchObject({
      occurredAt: '2025-01-23T10:30:00Z',
    });
    const odd = parseSmsbatWebhook({ ...base, timestamp: '23.01.2025 10:30' });
    expect(odd.occurredAt).toBeUndefined();
    expect(odd.unreadable).toEqual(['timestamp']);
  });

  test('status words in any case', () => {
    expect(parseSmsbatWebhook({ ...base, deliverystatus: 'Delivered' })).toMatchObject({
      state: 'delivered',
      rawStatus: 'Delivered',
    });
    expect(parseSmsbatWebhook({ ...base, deliverystatus: 'UNDELIVERABLE' })).toMatchObject({ state: 'failed' });
  });

  test('unknown fields are ignored; the account currency goes with a webhook cost only when configured', () => {
    expect(parseSmsbatWebhook({ ...base, cost: 0.05, extra: { nested: true } })).not.toHaveProperty('currency');
    expect(parseSmsbatWebhook({ ...base, cost: 0.05 }, { currency: 'USD' })).toMatchObject({ currency: 'USD' });
  });
});
