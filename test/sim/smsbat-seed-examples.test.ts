import { request } from 'undici';
import { SIM_CREDENTIALS, startSimulator, type Simulator } from '../../src/sim/server';
import { eventually, startCapture } from '../support/servers';

/**
 * Every example request of the SMSBAT seed pages (../shared/seeds: 000 and 001 are the same send
 * page in Dutch and Latvian, with identical JSON; 002 is the status page), sent with raw undici to
 * the simulator and answered with the documented shapes. Bodies are copied as printed.
 *
 * `+380XXXXXXXXX` is a placeholder, not E.164, so the faithful answer to those examples is the
 * page's own error example; each is then sent again with a real number for the success shape.
 */
const KEY = SIM_CREDENTIALS.smsbat;
const STANDARD = '/api/CascadeMessage/send_message/async';
const TG_VIBER = '/api/CascadeMessage/send_message/tg-viber/async';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const REAL_NUMBER = '+380501234567';
const withRealNumber = (body: string) => body.replaceAll('+380XXXXXXXXX', REAL_NUMBER);

/** The page's error example (smsbat.md §1, errors): what every placeholder number earns. */
const INVALID_PHONE = { error: { code: 'INVALID_PHONE', message: 'Invalid phone number format', field: 'toPhone' } };

/** "Request structure": the body, sent with the page's full header block. */
const REQUEST_STRUCTURE = `[
  {
    "id": "unique-tracking-id",
    "fromName": "YourBrand",
    "toPhone": "+380XXXXXXXXX",
    "messageType": "transaction",
    "text": "Your order #12345 has been confirmed",
    "ttl": 3600,
    "scheduledSent": "2025-01-25T10:00:00Z"
  }
]`;

/** "Message types": printed as single message objects; the request body is an array of them. */
const MESSAGE_TYPES: Record<string, string> = {
  transaction: `{
  "id": "order-12345",
  "fromName": "YourStore",
  "toPhone": "+380XXXXXXXXX",
  "messageType": "transaction",
  "text": "Your order #12345 has been confirmed and will arrive tomorrow.",
  "ttl": 86400
}`,
  promo: `{
  "id": "promo-summer-sale",
  "fromName": "YourBrand",
  "toPhone": "+380XXXXXXXXX",
  "messageType": "promo",
  "text": "Summer Sale! Up to 50% off. Shop now: https://example.com/sale",
  "ttl": 259200
}`,
  viber_survey: `{
  "id": "survey-satisfaction",
  "fromName": "YourBrand",
  "toPhone": "+380XXXXXXXXX",
  "messageType": "viber_survey",
  "text": "How satisfied are you with our service?",
  "surveyOptions": [
    "Very Satisfied",
    "Satisfied",
    "Neutral",
    "Dissatisfied",
    "Very Dissatisfied"
  ],
  "ttl": 604800
}`,
  flashcall: `{
  "id": "verify-user-123",
  "fromName": "YourApp",
  "toPhone": "+380XXXXXXXXX",
  "messageType": "flashcall",
  "ttl": 300
}`,
};

/** "Examples": the curl `-d` bodies. */
const CURL = {
  basicTransaction: `[
    {
      "id": "tx-001",
      "fromName": "YourBank",
      "toPhone": "+380XXXXXXXXX",
      "messageType": "transaction",
      "text": "Payment of $100 was successful. Transaction ID: ABC123"
    }
  ]`,
  scheduledPromotion: `[
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

/** The status page's answers (smsbat.md §2): field names of the basic and the extended form. */
const BASIC_FIELDS = ['messagelistId', 'messageId', 'deliverystatus', 'partscount', 'cost'];
const EXTENDED_FIELDS = [
  ...BASIC_FIELDS,
  'fallbacks',
  'extendedStatuses',
  'rate',
  'rateAmount',
  'rateCurrency',
  'billAmount',
  'billCurrency',
];

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ smtpPort: false, deliveryDelayMs: 0 });
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

async function call(method: 'GET' | 'POST', path: string, headers: Record<string, string>, body?: string) {
  const res = await request(`${sim.url}${path}`, { method, headers, body });
  const text = await res.body.text();
  return { status: res.statusCode, json: text ? (JSON.parse(text) as unknown) : undefined };
}
const curlHeaders = (apiKey: string = KEY.apiKey) => ({
  'Content-Type': 'application/json',
  'X-Authorization-Key': apiKey,
});
const send = (body: string, path = STANDARD) => call('POST', path, curlHeaders(), body);
const basic = (user: string, password: string) => ({
  Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
});
const successFor = (ids: string[]) => ids.map((id) => ({ messageId: expect.stringMatching(UUID), trackinId: id }));

describe('seeds 000/001: send cascade messages', () => {
  test('"Request structure" with the page\'s three headers', async () => {
    const headers = {
      'Content-Type': 'application/json',
      'X-Authorization-Key': KEY.apiKey,
      'X-Viber-Auth-Token': KEY.viberToken,
      'X-Tg-Bot-Key': KEY.tgBotKey,
    };
    const verbatim = await call('POST', STANDARD, headers, REQUEST_STRUCTURE);
    expect(verbatim).toEqual({ status: 400, json: INVALID_PHONE });

    const real = await call('POST', STANDARD, headers, withRealNumber(REQUEST_STRUCTURE));
    expect(real).toEqual({ status: 200, json: successFor(['unique-tracking-id']) });
    expect(sim.messages('smsbat')[0].fields).toEqual(JSON.parse(withRealNumber(REQUEST_STRUCTURE))[0]);
  });

  test.each(Object.entries(MESSAGE_TYPES))('message type example "%s"', async (_type, example) => {
    const verbatim = await send(`[${example}]`);
    expect(verbatim).toEqual({ status: 400, json: INVALID_PHONE });

    const real = await send(`[${withRealNumber(example)}]`);
    expect(real).toEqual({ status: 200, json: successFor([JSON.parse(example).id]) });
    expect(sim.messages('smsbat')[0].fields).toEqual(JSON.parse(withRealNumber(example)));
  });

  test.each([
    ['basic transaction', CURL.basicTransaction, 'tx-001'],
    ['scheduled promotion', CURL.scheduledPromotion, 'promo-001'],
  ])('curl example "%s"', async (_name, body, id) => {
    const verbatim = await send(body);
    expect(verbatim).toEqual({ status: 400, json: INVALID_PHONE });

    const real = await send(withRealNumber(body));
    expect(real).toEqual({ status: 200, json: successFor([id]) });
  });

  test('curl example "bulk": real numbers, so one answer per message in request order', async () => {
    expect(await send(CURL.bulk)).toEqual({ status: 200, json: successFor(['bulk-001', 'bulk-002', 'bulk-003']) });
  });

  test('the curl examples with their placeholder key "your-api-key" are refused: 401 in the error format', async () => {
    for (const body of Object.values(CURL)) {
      const res = await call('POST', STANDARD, curlHeaders('your-api-key'), body);
      expect(res).toEqual({ status: 401, json: { error: { code: 'UNAUTHORIZED', message: expect.any(String) } } });
    }
    expect(sim.messages('smsbat')).toHaveLength(0);
  });

  test('the scheduled examples are in the past, so they are sent at once', async () => {
    for (const body of [REQUEST_STRUCTURE, CURL.scheduledPromotion]) await send(withRealNumber(body));
    expect(sim.messages('smsbat').map((m) => m.status)).toEqual(['delivered', 'delivered']);
  });

  describe('implementation examples (Python, JavaScript, PHP)', () => {
    test('sendMessage: order-12345 to the placeholder, then to a real number', async () => {
      const message = {
        id: 'order-12345',
        fromName: 'YourStore',
        toPhone: '+380XXXXXXXXX',
        messageType: 'transaction',
        text: 'Your order has been confirmed',
        ttl: 86400,
      };
      expect(await send(JSON.stringify([message]))).toEqual({ status: 400, json: INVALID_PHONE });
      const real = await send(withRealNumber(JSON.stringify([message])));
      expect(real).toEqual({ status: 200, json: successFor(['order-12345']) });
    });

    test.each([
      // JavaScript: `new Date(Date.now() + 2 * 60 * 60 * 1000).toISOString()`
      ['JavaScript', new Date(Date.now() + 2 * 3600_000).toISOString()],
      // Python: `(datetime.now() + timedelta(hours=2)).isoformat()` has no zone; read as UTC.
      ['Python', new Date(Date.now() + 2 * 3600_000).toISOString().replace('Z', '').concat('456')],
    ])('%s scheduled send: two hours ahead, it waits as scheduled', async (_language, scheduledSent) => {
      const message = {
        id: 'promo-001',
        fromName: 'YourBrand',
        toPhone: '+380XXXXXXXXX',
        messageType: 'promo',
        text: 'Sale starts now!',
        scheduledSent,
      };
      expect(await send(JSON.stringify([message]))).toEqual({ status: 400, json: INVALID_PHONE });
      const real = await send(withRealNumber(JSON.stringify([message])));
      expect(real).toEqual({ status: 200, json: successFor(['promo-001']) });
      const [{ messageId }] = real.json as { messageId: string }[];
      const status = await call('GET', `/bat/message/${messageId}`, curlHeaders());
      expect(status).toEqual({ status: 200, json: { deliverystatus: 'scheduled', partscount: 1 } });
    });

    test('sendBulk: 100 messages to +38011111111{i}, one answer each, in order', async () => {
      const messages = Array.from({ length: 100 }, (_, i) => ({
        id: `bulk-${i}`,
        fromName: 'YourBrand',
        toPhone: `+38011111111${i}`,
        messageType: 'transaction',
        text: `Message ${i}`,
      }));
      const res = await send(JSON.stringify(messages));
      expect(res).toEqual({ status: 200, json: successFor(messages.map((m) => m.id)) });
    });

    test('sendTelegramViber posts the same body to the tg-viber endpoint, same answer shape', async () => {
      const message = {
        id: 'tx-001',
        fromName: 'YourBank',
        toPhone: REAL_NUMBER,
        messageType: 'transaction',
        text: 'Payment of $100 was successful. Transaction ID: ABC123',
      };
      expect(await send(JSON.stringify([message]), TG_VIBER)).toEqual({ status: 200, json: successFor(['tx-001']) });
    });
  });
});

describe('seed 002: check a message status', () => {
  /** The page's three curl variants, with its placeholder credentials and with the simulator's. */
  const PLACEHOLDER_AUTH = [
    { 'X-Authorization-Key': 'your-api-key' },
    basic('username', 'password'),
    basic('@', 'your-api-key'),
  ];
  const AUTH = [{ 'X-Authorization-Key': KEY.apiKey }, basic(KEY.username, KEY.password), basic('@', KEY.apiKey)];
  const statusOf = (messageId: string, auth: Record<string, string> = AUTH[0]) =>
    call('GET', `/bat/message/${messageId}`, auth);

  /** Sends the basic transaction example to a real number whose status only moves when settled. */
  async function sendPending(): Promise<string> {
    sim.script({ provider: 'smsbat', recipient: REAL_NUMBER, outcome: { kind: 'pending' } });
    const sent = await send(withRealNumber(CURL.basicTransaction));
    return (sent.json as { messageId: string }[])[0].messageId;
  }

  test('the curl variants verbatim: placeholder credentials are refused with 401', async () => {
    for (const auth of PLACEHOLDER_AUTH) {
      expect(await statusOf('abc123def456', auth)).toEqual({
        status: 401,
        json: { error: { code: 'UNAUTHORIZED', message: expect.any(String) } },
      });
    }
  });

  test('with real credentials, the seed id abc123def456 is no message of ours: 404 in the error format', async () => {
    for (const auth of AUTH) {
      expect(await statusOf('abc123def456', auth)).toEqual({
        status: 404,
        json: { error: { code: 'NOT_FOUND', message: expect.any(String), field: 'messageId' } },
      });
    }
  });

  test('while processing, every auth variant gets the short form of the page', async () => {
    const messageId = await sendPending();
    for (const auth of AUTH) {
      expect(await statusOf(messageId, auth)).toEqual({
        status: 200,
        json: { deliverystatus: 'processing', partscount: 1 },
      });
    }
  });

  test('delivered: the extended answer, field by field', async () => {
    const messageId = await sendPending();
    sim.settle('smsbat', messageId, 'delivered');
    const { status, json } = await statusOf(messageId);
    const answer = json as Record<string, unknown>;

    expect(status).toBe(200);
    expect(Object.keys(answer).sort()).toEqual([...EXTENDED_FIELDS].sort());
    expect(BASIC_FIELDS.every((f) => f in answer)).toBe(true); // the basic form is contained in it
    expect(Number.isInteger(answer.messagelistId)).toBe(true);
    expect(answer.messageId).toBe(messageId);
    expect(answer.deliverystatus).toBe('delivered');
    expect(answer.partscount).toBe(1);
    expect(answer.cost).toBeGreaterThan(0);
    expect(answer.fallbacks).toContainEqual({ type: 'sms', status: 'not_used' });
    for (const f of answer.fallbacks as unknown[])
      expect(f).toEqual({ type: expect.any(String), status: expect.any(String) });
    expect(answer.extendedStatuses).toMatchObject({ viber: 'delivered', sms: 'not_used' });
    for (const f of ['rate', 'rateAmount', 'billAmount']) expect(answer[f]).toBe(answer.cost);
    expect([answer.rateCurrency, answer.billCurrency]).toEqual(['USD', 'USD']);
  });

  test.each([
    ['undeliverable', () => undefined],
    ['permanenterror', () => sim.script({ provider: 'smsbat', outcome: { kind: 'fail', status: 'permanenterror' } })],
  ])('%s: the final answer costs 0', async (word, script) => {
    script();
    const sent = await send(withRealNumber(CURL.basicTransaction).replace(REAL_NUMBER, '+380501234998'));
    const [{ messageId }] = sent.json as { messageId: string }[];
    const { json } = await statusOf(messageId);
    expect(json).toMatchObject({ messageId, deliverystatus: word, partscount: 1, cost: 0, billAmount: 0 });
  });

  test("the webhook alternative: the body has exactly the fields of the page's example", async () => {
    const capture = await startCapture();
    sim.setSmsbatWebhookUrl(`${capture.url}/webhook`);
    try {
      const messageId = await sendPending();
      sim.settle('smsbat', messageId, 'delivered');
      await eventually(() => (capture.received.length >= 2 ? true : undefined));
      const bodies = capture.received.map((r) => JSON.parse(r.body) as Record<string, unknown>);
      const [processing, delivered] = ['processing', 'delivered'].map((s) =>
        bodies.find((b) => b.deliverystatus === s),
      );
      expect(processing).toEqual({ messageId, deliverystatus: 'processing', timestamp: expect.any(String) });
      expect(delivered).toEqual({
        messageId,
        deliverystatus: 'delivered',
        timestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/),
        cost: expect.any(Number),
      });
    } finally {
      sim.setSmsbatWebhookUrl(undefined);
      await capture.close();
    }
  });
});

describe("the rules the page states in prose: 400s with a code and the field (codes are the simulator's)", () => {
  const base = JSON.parse(withRealNumber(CURL.basicTransaction))[0] as Record<string, unknown>;
  const in30Days = (extraMs: number) => new Date(Date.now() + 30 * 86_400_000 + extraMs).toISOString();

  test.each<[string, Record<string, unknown>[], string, string]>([
    ['a missing fromName', [{ ...base, fromName: undefined }], 'MISSING_FIELD', 'fromName'],
    ['an id with special characters', [{ ...base, id: 'tx 001#' }], 'INVALID_ID', 'id'],
    ['an id of 255 characters', [{ ...base, id: 'x'.repeat(255) }], 'INVALID_ID', 'id'],
    ['one id twice in a request', [base, { ...base }], 'DUPLICATE_ID', 'id'],
    ['a number without +', [{ ...base, toPhone: '380501234567' }], 'INVALID_PHONE', 'toPhone'],
    ['an unknown message type', [{ ...base, messageType: 'sms' }], 'INVALID_MESSAGE_TYPE', 'messageType'],
    ['a transaction without text', [{ ...base, text: undefined }], 'MISSING_FIELD', 'text'],
    ['a flashcall with text', [{ ...base, messageType: 'flashcall' }], 'TEXT_NOT_ALLOWED', 'text'],
    [
      'a survey with one option',
      [{ ...base, messageType: 'viber_survey', surveyOptions: ['Yes'] }],
      'INVALID_SURVEY',
      'surveyOptions',
    ],
    [
      'a survey text of 86 characters',
      [{ ...base, messageType: 'viber_survey', text: 'x'.repeat(86), surveyOptions: ['Yes', 'No'] }],
      'TEXT_TOO_LONG',
      'text',
    ],
    ['a ttl that is no whole number', [{ ...base, ttl: '3600' }], 'INVALID_TTL', 'ttl'],
    [
      'a schedule that is no date',
      [{ ...base, scheduledSent: '25.01.2025 09:00' }],
      'INVALID_SCHEDULE',
      'scheduledSent',
    ],
    [
      'a schedule more than 30 days ahead',
      [{ ...base, scheduledSent: in30Days(60_000) }],
      'INVALID_SCHEDULE',
      'scheduledSent',
    ],
  ])('%s', async (_name, messages, code, field) => {
    expect(await send(JSON.stringify(messages))).toEqual({
      status: 400,
      json: { error: { code, message: expect.any(String), field } },
    });
    expect(sim.messages('smsbat')).toHaveLength(0);
  });

  test("a request carries at most 1000 messages (our reading of the page's 100–1000 guidance)", async () => {
    const batch = (n: number) => JSON.stringify(Array.from({ length: n }, (_, i) => ({ ...base, id: `tx-${i}` })));
    expect(await send(batch(1001))).toEqual({
      status: 400,
      json: { error: { code: 'TOO_MANY_MESSAGES', message: expect.any(String) } },
    });
    expect((await send(batch(1000))).status).toBe(200);
  });

  test('a body that is not a JSON array of messages', async () => {
    for (const body of ['', '{}', '[]', '[1]', withRealNumber(MESSAGE_TYPES.transaction)]) {
      expect(await send(body)).toEqual({
        status: 400,
        json: { error: { code: 'INVALID_BODY', message: expect.any(String) } },
      });
    }
  });
});
