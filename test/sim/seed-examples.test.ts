import { request } from 'undici';
import { SIM_CREDENTIALS, startSimulator, type Simulator } from '../../src/sim/server';

/**
 * Every example request in the seed documents (../shared/seeds), sent verbatim, answered with the
 * documented response shape. Examples with the `+380XXXXXXXXX` placeholder are not E.164, so the
 * faithful answer is the documented 400 error; each is then sent again with a real number.
 */
const SMSBAT_MESSAGE_EXAMPLES: Record<string, unknown> = {
  'request structure': {
    id: 'unique-tracking-id',
    fromName: 'YourBrand',
    toPhone: '+380XXXXXXXXX',
    messageType: 'transaction',
    text: 'Your order #12345 has been confirmed',
    ttl: 3600,
    scheduledSent: '2025-01-25T10:00:00Z',
  },
  transaction: {
    id: 'order-12345',
    fromName: 'YourStore',
    toPhone: '+380XXXXXXXXX',
    messageType: 'transaction',
    text: 'Your order #12345 has been confirmed and will arrive tomorrow.',
    ttl: 86400,
  },
  promo: {
    id: 'promo-summer-sale',
    fromName: 'YourBrand',
    toPhone: '+380XXXXXXXXX',
    messageType: 'promo',
    text: 'Summer Sale! Up to 50% off. Shop now: https://example.com/sale',
    ttl: 259200,
  },
  'viber survey': {
    id: 'survey-satisfaction',
    fromName: 'YourBrand',
    toPhone: '+380XXXXXXXXX',
    messageType: 'viber_survey',
    text: 'How satisfied are you with our service?',
    surveyOptions: ['Very Satisfied', 'Satisfied', 'Neutral', 'Dissatisfied', 'Very Dissatisfied'],
    ttl: 604800,
  },
  flashcall: {
    id: 'verify-user-123',
    fromName: 'YourApp',
    toPhone: '+380XXXXXXXXX',
    messageType: 'flashcall',
    ttl: 300,
  },
};

const SMSBAT_CURL_BODIES: Record<string, string> = {
  'basic transaction': `[
    {
      "id": "tx-001",
      "fromName": "YourBank",
      "toPhone": "+380XXXXXXXXX",
      "messageType": "transaction",
      "text": "Payment of $100 was successful. Transaction ID: ABC123"
    }
  ]`,
  'scheduled promotion': `[
    {
      "id": "promo-001",
      "fromName": "YourStore",
      "toPhone": "+380XXXXXXXXX",
      "messageType": "promo",
      "text": "Flash Sale starts in 1 hour! Visit: https://example.com",
      "scheduledSent": "2025-01-25T09:00:00Z",
      "ttl": 3600
    }
  ]`,
  bulk: `[
    {
      "id": "bulk-001",
      "fromName": "YourBrand",
      "toPhone": "+380111111111",
      "messageType": "transaction",
      "text": "Message 1"
    },
    {
      "id": "bulk-002",
      "fromName": "YourBrand",
      "toPhone": "+380222222222",
      "messageType": "transaction",
      "text": "Message 2"
    },
    {
      "id": "bulk-003",
      "fromName": "YourBrand",
      "toPhone": "+380333333333",
      "messageType": "transaction",
      "text": "Message 3"
    }
  ]`,
};

const REACH_ITEM_KEYS = [
  'appletId',
  'apiVersion',
  'body',
  'dest',
  'src',
  'bulkId',
  'numSegments',
  'numMedia',
  'price',
  'priceUnit',
  'messageId',
  'status',
  'messageType',
  'errorCode',
  'errorMessage',
  'dateCreated',
  'dateSent',
  'dateUpdated',
];

describe('seed examples, verbatim, against the simulator', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ smtpPort: false, deliveryDelayMs: 0 });
  });
  afterAll(() => sim.close());

  const smsbatSend = (body: string) =>
    call(`${sim.url}/api/CascadeMessage/send_message/async`, 'POST', body, {
      'Content-Type': 'application/json',
      'X-Authorization-Key': SIM_CREDENTIALS.smsbat.apiKey,
    });
  const realNumber = (body: string) => body.replaceAll('+380XXXXXXXXX', '+380501234567');
  let unique = 0;
  const uniqueIds = (body: string) => body.replace(/"id": ?"([^"]+)"/g, (_m, id) => `"id": "${id}-${++unique}"`);

  test.each(Object.entries(SMSBAT_MESSAGE_EXAMPLES))('SMSBAT message example "%s"', async (_name, message) => {
    const verbatim = await smsbatSend(JSON.stringify([message]));
    expect(verbatim.status).toBe(400);
    expect(verbatim.json).toEqual({ error: { code: 'INVALID_PHONE', message: expect.any(String), field: 'toPhone' } });

    const real = await smsbatSend(uniqueIds(realNumber(JSON.stringify([message]))));
    expect(real.status).toBe(200);
    expect(real.json).toEqual([{ messageId: expect.stringMatching(/^[0-9a-f-]{36}$/), trackinId: expect.any(String) }]);
  });

  test.each(Object.entries(SMSBAT_CURL_BODIES))('SMSBAT curl example "%s"', async (name, body) => {
    const verbatim = await smsbatSend(body);
    if (name === 'bulk') {
      expect(verbatim.status).toBe(200);
      expect(verbatim.json).toEqual(
        ['bulk-001', 'bulk-002', 'bulk-003'].map((id) => ({ messageId: expect.any(String), trackinId: id })),
      );
      return;
    }
    expect(verbatim.status).toBe(400);
    expect((verbatim.json as { error: { field: string } }).error.field).toBe('toPhone');
    const real = await smsbatSend(realNumber(body));
    expect(real.status).toBe(200);
    expect(real.json).toEqual([{ messageId: expect.any(String), trackinId: JSON.parse(body)[0].id }]);
  });

  test('SMSBAT status examples: the three auth variants, basic and extended shapes', async () => {
    const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
    const auths: Record<string, string>[] = [
      { 'X-Authorization-Key': SIM_CREDENTIALS.smsbat.apiKey },
      { Authorization: basic(SIM_CREDENTIALS.smsbat.username, SIM_CREDENTIALS.smsbat.password) },
      { Authorization: basic('@', SIM_CREDENTIALS.smsbat.apiKey) },
    ];
    for (const headers of auths) {
      // The seed's abc123def456 is no message of ours: the documented error shape, 404.
      const unknown = await call(`${sim.url}/bat/message/abc123def456`, 'GET', undefined, headers);
      expect(unknown.status).toBe(404);
      expect(unknown.json).toEqual({
        error: { code: expect.any(String), message: expect.any(String), field: 'messageId' },
      });
    }
    sim.script({ recipient: '+380509999001', provider: 'smsbat', outcome: { kind: 'deliver', afterMs: 100 } });
    const sent = await smsbatSend(
      uniqueIds(realNumber(SMSBAT_CURL_BODIES['basic transaction']).replace('+380501234567', '+380509999001')),
    );
    const id = (sent.json as { messageId: string }[])[0].messageId;
    for (const headers of auths) {
      const early = await call(`${sim.url}/bat/message/${id}`, 'GET', undefined, headers);
      expect(early.json).toEqual({ deliverystatus: 'processing', partscount: 1 });
    }
    await new Promise((r) => setTimeout(r, 200));
    const final = await call(`${sim.url}/bat/message/${id}`, 'GET', undefined, auths[0]);
    expect(final.json).toEqual({
      messagelistId: expect.any(Number),
      messageId: id,
      deliverystatus: 'delivered',
      partscount: 1,
      cost: expect.any(Number),
      fallbacks: expect.arrayContaining([{ type: 'sms', status: 'not_used' }]),
      extendedStatuses: expect.objectContaining({ viber: 'delivered', sms: 'not_used' }),
      rate: expect.any(Number),
      rateAmount: expect.any(Number),
      rateCurrency: 'USD',
      billAmount: expect.any(Number),
      billCurrency: 'USD',
    });
  });

  const reachHeaders = {
    'Content-Type': 'application/x-www-form-urlencoded',
    ApiUser: SIM_CREDENTIALS.reach.apiUser,
    ApiKey: SIM_CREDENTIALS.reach.apiKey,
  };
  // curl --data-urlencode encodes each value once; example 2's value is already %-encoded in the seed.
  const form = (pairs: [string, string][]) => pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');

  test('Reach example 1: send an SMS → the documented MessagingItem', async () => {
    const res = await call(
      `${sim.url}/rest/messaging/v1/create`,
      'POST',
      form([
        ['dest', '+237671234567'],
        ['src', '+237691234567'],
        ['body', 'Hello World! This is a sms message.'],
      ]),
      reachHeaders,
    );
    expect(res.status).toBe(200);
    expect(Object.keys(res.json as object).sort()).toEqual([...REACH_ITEM_KEYS].sort());
    expect(res.json).toMatchObject({
      body: 'Hello World! This is a sms message.',
      dest: '+237671234567',
      src: '+237691234567',
      bulkId: null,
      numSegments: 1,
      numMedia: 0,
      messageId: expect.stringMatching(/^MID/),
      messageType: 'outbound',
      errorCode: null,
      errorMessage: null,
    });
  });

  test('Reach example 2: schedule an SMS — verbatim it is in the past, so the documented error; then in the window', async () => {
    const pairs: [string, string][] = [
      ['dest', '+237671234567'],
      ['src', '+237691234567'],
      ['body', 'Hello World! This is a sms message.'],
      ['scheduledTime', '2016-08-31T01%3A23%3A45Z'],
    ];
    const verbatim = await call(`${sim.url}/rest/messaging/v1/create`, 'POST', form(pairs), reachHeaders);
    expect(verbatim.status).toBe(400);
    expect(verbatim.json).toEqual({
      errorCode: expect.any(Number),
      errorMessage: expect.stringMatching(/scheduledTime/),
      more_info: expect.any(String),
      errorDetails: { field: 'scheduledTime' },
    });

    pairs[3] = ['scheduledTime', new Date(Date.now() + 3600_000).toISOString()];
    const scheduled = await call(`${sim.url}/rest/messaging/v1/create`, 'POST', form(pairs), reachHeaders);
    expect(scheduled.status).toBe(200);
    expect(Object.keys(scheduled.json as object).sort()).toEqual([...REACH_ITEM_KEYS].sort());
    expect(scheduled.json).toMatchObject({ status: 'scheduled', price: null, priceUnit: null, dateSent: null });
  });
});

async function call(url: string, method: 'GET' | 'POST', body: string | undefined, headers: Record<string, string>) {
  const res = await request(url, { method, body, headers });
  const text = await res.body.text();
  return { status: res.statusCode, json: text ? (JSON.parse(text) as unknown) : undefined };
}
