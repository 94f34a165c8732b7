import {
  ProviderAuthError,
  ProviderNetworkError,
  ProviderNotFoundError,
  ProviderRateLimitError,
  ProviderRequestError,
  ProviderResponseError,
  ProviderServerError,
  ProviderTimeoutError,
} from '../../src/providers/errors';
import {
  parseSmsbatWebhook,
  SmsbatClient,
  type SmsbatCredentials,
  type SmsbatMessage,
  type SmsbatStatusAuth,
} from '../../src/providers/smsbat/client';
import { SIM_CREDENTIALS, startSimulator, type Simulator } from '../../src/sim/server';
import { eventually, startCapture, startServer } from '../support/servers';

/** SmsbatClient against the simulator over real sockets (smsbat.md §1–3). */
const KEY = SIM_CREDENTIALS.smsbat;
const STANDARD = '/api/CascadeMessage/send_message/async';
const TG_VIBER = '/api/CascadeMessage/send_message/tg-viber/async';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DAY_MS = 86_400_000;

let sim: Simulator;
let client: SmsbatClient;
let n = 0;
/** Numbers ending in 1: none of the simulator's special endings (…400, …997–999). */
const msg = (over: Partial<SmsbatMessage> = {}): SmsbatMessage => ({
  id: `tx-${++n}`,
  fromName: 'YourBank',
  toPhone: `+38050${1_000_001 + n * 10}`,
  messageType: 'transaction',
  text: 'Payment of $100 was successful',
  ...over,
});
const posts = () => sim.requests('smsbat').filter((r) => r.method === 'POST');
const lastRequest = () => sim.requests('smsbat').at(-1)!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (err: unknown) => err,
  );
const decodeBasic = (header: string | undefined) =>
  Buffer.from((header ?? '').replace(/^Basic /, ''), 'base64').toString('utf8');

async function withClient<T>(
  options: { baseUrl?: string; credentials: SmsbatCredentials; timeoutMs?: number },
  fn: (c: SmsbatClient) => Promise<T>,
): Promise<T> {
  const c = new SmsbatClient({ baseUrl: sim.url, ...options });
  try {
    return await fn(c);
  } finally {
    await c.close();
  }
}

/**
 * A stand-in SMSBAT that answers sends with `answer(ids)` after `delayMs`, recording each
 * request's size and how many were in flight at once.
 */
async function fakeSmsbat(answer: (ids: string[]) => string, delayMs = 0) {
  const seen = { sizes: [] as number[], inFlight: 0, maxInFlight: 0 };
  const server = await startServer((_req, body, res) => {
    const ids = (JSON.parse(body) as { id: string }[]).map((m) => m.id);
    seen.sizes.push(ids.length);
    seen.maxInFlight = Math.max(seen.maxInFlight, ++seen.inFlight);
    setTimeout(() => {
      seen.inFlight--;
      res.writeHead(200, { 'content-type': 'application/json' }).end(answer(ids));
    }, delayMs);
  });
  return { ...server, seen };
}

beforeAll(async () => {
  sim = await startSimulator({ smtpPort: false, deliveryDelayMs: 0 });
  client = new SmsbatClient({
    baseUrl: sim.url,
    credentials: { apiKey: KEY.apiKey, username: KEY.username, password: KEY.password },
  });
});
afterAll(async () => {
  await client.close();
  await sim.close();
});
beforeEach(() => sim.reset());

describe('send (smsbat.md §1)', () => {
  test('the standard route: one message in a JSON array, answered with a messageId and our tracking id', async () => {
    const message = msg({ id: 'order-1', ttl: 3600 });
    const sent = await client.send(message);

    expect(sent).toEqual({ messageId: expect.stringMatching(UUID), trackingId: 'order-1' });
    const [request] = posts();
    expect(request.path).toBe(STANDARD);
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['x-authorization-key']).toBe(KEY.apiKey);
    expect(JSON.parse(request.rawBody)).toEqual([message]);
    expect(sim.messages('smsbat')).toEqual([
      expect.objectContaining({ messageId: sent.messageId, trackingKey: 'order-1', recipient: message.toPhone }),
    ]);
  });

  test('the tg-viber route goes to its own endpoint', async () => {
    const sent = await client.send(msg({ id: 'order-2' }), { route: 'tg-viber' });
    expect(sent.trackingId).toBe('order-2');
    expect(posts().map((r) => r.path)).toEqual([TG_VIBER]);
  });

  test.each<[string, Partial<SmsbatMessage>]>([
    ['transaction', { messageType: 'transaction', ttl: 86400 }],
    ['promo', { messageType: 'promo', ttl: 259200, scheduledSent: new Date(Date.now() + 3600_000).toISOString() }],
    [
      'viber_survey',
      { messageType: 'viber_survey', text: 'How satisfied are you?', surveyOptions: ['Yes', 'No'], ttl: 604800 },
    ],
    ['flashcall', { messageType: 'flashcall', text: undefined, ttl: 300 }],
  ])('a %s message is accepted and sent as given', async (_type, over) => {
    const message = msg(over);
    const sent = await client.send(message);
    expect(sent.trackingId).toBe(message.id);
    expect(JSON.parse(posts()[0].rawBody)).toEqual([JSON.parse(JSON.stringify(message))]);
  });

  test.each([
    ['X-Authorization-Key', { apiKey: KEY.apiKey }, 'x-authorization-key'],
    ['X-Viber-Auth-Token', { viberToken: KEY.viberToken }, 'x-viber-auth-token'],
    ['X-Tg-Bot-Key', { tgBotKey: KEY.tgBotKey }, 'x-tg-bot-key'],
  ])('%s alone authenticates a send', async (_name, credentials, header) => {
    await withClient({ credentials }, (c) => c.send(msg()));
    const sentHeaders = ['x-authorization-key', 'x-viber-auth-token', 'x-tg-bot-key'].filter(
      (h) => posts()[0].headers[h] !== undefined,
    );
    expect(sentHeaders).toEqual([header]);
  });

  test('every configured send credential goes along', async () => {
    await withClient({ credentials: { apiKey: KEY.apiKey, viberToken: KEY.viberToken, tgBotKey: KEY.tgBotKey } }, (c) =>
      c.send(msg()),
    );
    expect(posts()[0].headers).toMatchObject({
      'x-authorization-key': KEY.apiKey,
      'x-viber-auth-token': KEY.viberToken,
      'x-tg-bot-key': KEY.tgBotKey,
    });
  });

  test('without any send credential: a clear configuration error and no request', async () => {
    await withClient({ credentials: { username: KEY.username, password: KEY.password } }, async (c) => {
      for (const attempt of [c.send(msg()), c.sendBulk([msg()])]) {
        const err = await failure(attempt);
        expect(err).toBeInstanceOf(ProviderRequestError);
        expect(err).toMatchObject({ field: 'credentials', retryable: false });
        expect((err as Error).message).toMatch(/apiKey, viberToken or tgBotKey/);
      }
    });
    expect(sim.requests('smsbat')).toHaveLength(0);
  });

  test('a wrong key is a 401 in the SMSBAT error format: not retryable', async () => {
    const err = await withClient({ credentials: { apiKey: 'wrong' } }, (c) => failure(c.send(msg())));
    expect(err).toBeInstanceOf(ProviderAuthError);
    expect(err).toMatchObject({ status: 401, code: 'UNAUTHORIZED', retryable: false });
  });
});

describe('getStatus (smsbat.md §2)', () => {
  test.each([
    ['apiKey', `key ${KEY.apiKey}`],
    ['basic', `basic ${KEY.username}:${KEY.password}`],
    ['basicApiKey', `basic @:${KEY.apiKey}`],
  ] as [SmsbatStatusAuth, string][])('authenticates with %s', async (auth, expected) => {
    sim.script({ provider: 'smsbat', outcome: { kind: 'pending' } });
    const { messageId } = await client.send(msg());
    const status = await client.getStatus(messageId, { auth });
    expect(status).toMatchObject({ providerMessageId: messageId, state: 'pending', rawStatus: 'processing' });
    const { authorization, 'x-authorization-key': apiKey } = lastRequest().headers;
    expect(authorization ? `basic ${decodeBasic(authorization)}` : `key ${apiKey}`).toBe(expected);
  });

  test('by default the API key, else Basic username:password', async () => {
    const { messageId } = await client.send(msg());
    await client.getStatus(messageId);
    expect(lastRequest().headers['x-authorization-key']).toBe(KEY.apiKey);
    await withClient({ credentials: { username: KEY.username, password: KEY.password } }, (c) =>
      c.getStatus(messageId),
    );
    expect(decodeBasic(lastRequest().headers.authorization)).toBe(`${KEY.username}:${KEY.password}`);
  });

  test('a status auth that is not configured is refused before any request', async () => {
    const err = await withClient({ credentials: { apiKey: KEY.apiKey } }, (c) =>
      failure(c.getStatus('3fa85f64-5717-4562-b3fc-2c963f66afa6', { auth: 'basic' })),
    );
    expect(err).toBeInstanceOf(ProviderRequestError);
    expect(err).toMatchObject({ field: 'credentials' });
    expect(sim.requests('smsbat')).toHaveLength(0);
  });

  test('a wrong password is a 401: not retryable', async () => {
    const { messageId } = await client.send(msg());
    const err = await withClient({ credentials: { username: KEY.username, password: 'wrong' } }, (c) =>
      failure(c.getStatus(messageId)),
    );
    expect(err).toBeInstanceOf(ProviderAuthError);
    expect(err).toMatchObject({ status: 401, retryable: false });
  });

  test('early answers (short form): scheduled and processing are pending, without cost', async () => {
    const later = await client.send(msg({ scheduledSent: new Date(Date.now() + 3600_000).toISOString() }));
    sim.script({ provider: 'smsbat', outcome: { kind: 'pending' } });
    const now = await client.send(msg());

    const scheduled = await client.getStatus(later.messageId);
    const processing = await client.getStatus(now.messageId);
    expect(scheduled).toMatchObject({ providerMessageId: later.messageId, state: 'pending', rawStatus: 'scheduled' });
    expect(processing).toMatchObject({ providerMessageId: now.messageId, state: 'pending', rawStatus: 'processing' });
    expect([scheduled.cost, scheduled.currency, processing.cost, processing.channel]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  test('final answers (extended form): the channel that delivered, the cost and the currency', async () => {
    sim.script({ provider: 'smsbat', outcome: { kind: 'deliver', channel: 'sms', cost: 0.07 } });
    const { messageId } = await client.send(msg(), { route: 'tg-viber' });
    expect(await client.getStatus(messageId)).toEqual({
      provider: 'smsbat',
      providerMessageId: messageId,
      state: 'delivered',
      rawStatus: 'delivered',
      cost: 0.07,
      currency: 'USD',
      channel: 'sms',
      parts: 1,
      // What each channel of the cascade did, as the extended answer reports it.
      fallbacks: expect.arrayContaining([{ channel: 'sms', status: 'delivered' }]),
    });
  });

  test('the lifecycle runs in real time: processing, then delivered after afterMs', async () => {
    sim.script({ provider: 'smsbat', outcome: { kind: 'deliver', afterMs: 150 } });
    const { messageId } = await client.send(msg());
    expect(await client.getStatus(messageId)).toMatchObject({ rawStatus: 'processing' });
    await sleep(250);
    expect(await client.getStatus(messageId)).toMatchObject({ rawStatus: 'delivered', channel: 'viber' });
  });

  test('undeliverable and permanenterror are failed, and cost 0', async () => {
    const bad = await client.send(msg({ toPhone: '+380501234998' })); // built-in: fails at the provider
    sim.script({ provider: 'smsbat', outcome: { kind: 'fail', status: 'permanenterror' } });
    const removed = await client.send(msg());
    expect(await client.getStatus(bad.messageId)).toMatchObject({
      state: 'failed',
      rawStatus: 'undeliverable',
      cost: 0,
    });
    expect(await client.getStatus(removed.messageId)).toMatchObject({ state: 'failed', rawStatus: 'permanenterror' });
  });

  test("the seed's basic and extended answers, served verbatim, normalise alike but for channel and currency", async () => {
    const basic = {
      messagelistId: 123456,
      messageId: 'abc123def456',
      deliverystatus: 'delivered',
      partscount: 1,
      cost: 0.05,
    };
    const extended = {
      ...basic,
      fallbacks: [{ type: 'sms', status: 'not_used' }],
      extendedStatuses: { viber: 'delivered', sms: 'not_used' },
      rate: 0.05,
      rateAmount: 0.05,
      rateCurrency: 'USD',
      billAmount: 0.05,
      billCurrency: 'USD',
    };
    let answer: object = basic;
    const paths: string[] = [];
    const fake = await startServer((req, _body, res) => {
      paths.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
    await withClient({ baseUrl: fake.url, credentials: { apiKey: 'k' } }, async (c) => {
      const common = {
        provider: 'smsbat',
        providerMessageId: 'abc123def456',
        state: 'delivered',
        cost: 0.05,
        parts: 1,
      };
      expect(await c.getStatus('abc123def456')).toEqual({ ...common, rawStatus: 'delivered' });
      answer = extended;
      expect(await c.getStatus('abc123def456')).toEqual({
        ...common,
        rawStatus: 'delivered',
        channel: 'viber',
        currency: 'USD',
        fallbacks: [{ channel: 'sms', status: 'not_used' }],
      });
    });
    await fake.close();
    expect(paths).toEqual(['/bat/message/abc123def456', '/bat/message/abc123def456']);
  });

  test('an unknown message id is a 404: ProviderNotFoundError, not retryable', async () => {
    const err = await failure(client.getStatus('abc123def456'));
    expect(err).toBeInstanceOf(ProviderNotFoundError);
    expect(err).toMatchObject({ status: 404, code: 'NOT_FOUND', field: 'messageId', retryable: false });
  });
});

describe('documented errors (smsbat.md §1, errors)', () => {
  test('400 carries the provider code and field, and is not retryable', async () => {
    sim.script({
      provider: 'smsbat',
      outcome: {
        kind: 'reject',
        status: 400,
        code: 'INVALID_PHONE',
        field: 'toPhone',
        message: 'Invalid phone number format',
      },
    });
    const err = await failure(client.send(msg()));
    expect(err).toBeInstanceOf(ProviderRequestError);
    expect(err).toMatchObject({ status: 400, code: 'INVALID_PHONE', field: 'toPhone', retryable: false });
    expect((err as Error).message).toMatch(/Invalid phone number format/);
  });

  test('429 is retryable and carries Retry-After in ms', async () => {
    sim.script({ provider: 'smsbat', outcome: { kind: 'reject', status: 429, retryAfterSec: 7 } });
    const err = await failure(client.send(msg()));
    expect(err).toBeInstanceOf(ProviderRateLimitError);
    expect(err).toMatchObject({ status: 429, code: 'TOO_MANY_REQUESTS', retryable: true, retryAfterMs: 7000 });
  });

  test('500 is retryable', async () => {
    sim.script({ provider: 'smsbat', outcome: { kind: 'reject', status: 500 } });
    const err = await failure(client.send(msg()));
    expect(err).toBeInstanceOf(ProviderServerError);
    expect(err).toMatchObject({ status: 500, code: 'SERVER_ERROR', retryable: true });
  });

  test('injected faults answer in the same error format (429 with Retry-After, 5xx)', async () => {
    sim.setFaults('smsbat', { rateLimitRate: 1, retryAfterSec: 3 });
    const limited = await failure(client.getStatus('any'));
    expect(limited).toMatchObject({ status: 429, code: 'TOO_MANY_REQUESTS', retryAfterMs: 3000 });
    sim.setFaults('smsbat', { errorRate: 1 });
    const broken = await failure(client.send(msg()));
    expect(broken).toBeInstanceOf(ProviderServerError);
    expect(broken).toMatchObject({ code: 'SERVER_ERROR', retryable: true });
  });

  test('a reset connection is a retryable network error', async () => {
    sim.setFaults('smsbat', { resetRate: 1 });
    const err = await failure(client.send(msg()));
    expect(err).toBeInstanceOf(ProviderNetworkError);
    expect(err).toMatchObject({ retryable: true });
  });

  test('a refused connection is a retryable network error', async () => {
    const gone = await startServer(() => undefined);
    await gone.close();
    const err = await withClient({ baseUrl: gone.url, credentials: { apiKey: 'k' } }, (c) => failure(c.send(msg())));
    expect(err).toBeInstanceOf(ProviderNetworkError);
    expect(err).toMatchObject({ code: 'ECONNREFUSED', retryable: true });
  });

  test('a provider that never answers times out after timeoutMs, retryably', async () => {
    const silent = await startServer(() => undefined);
    const started = Date.now();
    const err = await withClient({ baseUrl: silent.url, credentials: { apiKey: 'k' }, timeoutMs: 200 }, (c) =>
      failure(c.send(msg())),
    );
    await silent.close();
    expect(err).toBeInstanceOf(ProviderTimeoutError);
    expect(err).toMatchObject({ retryable: true });
    // 200 ms configured; the default is 10 s. The margin is for a busy machine.
    expect(Date.now() - started).toBeLessThan(8000);
  });

  test.each<[string, (ids: string[]) => string]>([
    ['a body that is not JSON', () => 'not json'],
    ['an object instead of an array', (ids) => JSON.stringify({ messageId: 'm', trackinId: ids[0] })],
    ['an empty array', () => '[]'],
    ['an answer without messageId', (ids) => JSON.stringify([{ trackinId: ids[0] }])],
    ['another tracking id', () => JSON.stringify([{ messageId: 'm', trackinId: 'someone-else' }])],
    [
      'two answers for one message',
      (ids) => JSON.stringify([ids[0], ids[0]].map((t) => ({ messageId: 'm', trackinId: t }))),
    ],
  ])('a 200 with %s is a ProviderResponseError, never a silent success', async (_name, answer) => {
    const fake = await fakeSmsbat(answer);
    const err = await withClient({ baseUrl: fake.url, credentials: { apiKey: 'k' } }, (c) => failure(c.send(msg())));
    await fake.close();
    expect(err).toBeInstanceOf(ProviderResponseError);
    // The message may have been accepted: retrying blindly could send it twice.
    expect(err).toMatchObject({ status: 200, retryable: false });
  });
});

describe('validation before any request (smsbat.md §1, request fields)', () => {
  test.each<[string, Partial<SmsbatMessage>, string]>([
    ['a number without +', { toPhone: '380501234567' }, 'toPhone'],
    ['a national number', { toPhone: '0501234567' }, 'toPhone'],
    ['the page placeholder', { toPhone: '+380XXXXXXXXX' }, 'toPhone'],
    ['a number starting with +0', { toPhone: '+0501234567' }, 'toPhone'],
    ['7 digits', { toPhone: '+3805012' }, 'toPhone'],
    ['16 digits', { toPhone: '+3805012345678901' }, 'toPhone'],
    ['an id with spaces', { id: 'order 1' }, 'id'],
    ['an id with special characters', { id: 'order#1' }, 'id'],
    ['an id of 255 characters', { id: 'x'.repeat(255) }, 'id'],
    ['an empty id', { id: '' }, 'id'],
    ['an empty fromName', { fromName: '' }, 'fromName'],
    ['an unknown message type', { messageType: 'sms' as SmsbatMessage['messageType'] }, 'messageType'],
    ['a transaction without text', { text: undefined }, 'text'],
    ['a flashcall with text', { messageType: 'flashcall', text: 'call me' }, 'text'],
    ['a survey with one option', { messageType: 'viber_survey', surveyOptions: ['Yes'] }, 'surveyOptions'],
    [
      'a survey with six options',
      { messageType: 'viber_survey', surveyOptions: ['a', 'b', 'c', 'd', 'e', 'f'] },
      'surveyOptions',
    ],
    [
      'a survey text of 86 characters',
      { messageType: 'viber_survey', text: 'x'.repeat(86), surveyOptions: ['a', 'b'] },
      'text',
    ],
    ['survey options on a promo', { messageType: 'promo', surveyOptions: ['a', 'b'] }, 'surveyOptions'],
    ['a negative ttl', { ttl: -5 }, 'ttl'],
    ['a zero ttl', { ttl: 0 }, 'ttl'],
    ['a fractional ttl', { ttl: 1.5 }, 'ttl'],
    ['a schedule 31 days ahead', { scheduledSent: new Date(Date.now() + 31 * DAY_MS).toISOString() }, 'scheduledSent'],
    ['a schedule with an offset instead of UTC', { scheduledSent: '2030-01-01T10:00:00+02:00' }, 'scheduledSent'],
    ['a schedule that is no date', { scheduledSent: 'tomorrow' }, 'scheduledSent'],
  ])('%s is refused, naming the field', async (_name, over, field) => {
    const err = await failure(client.send(msg(over)));
    expect(err).toBeInstanceOf(ProviderRequestError);
    expect(err).toMatchObject({ provider: 'smsbat', field, retryable: false });
    expect(sim.requests('smsbat')).toHaveLength(0);
  });

  test('the limits themselves are accepted', async () => {
    const edge = [
      msg({ id: `${'x'.repeat(250)}-_Az` }),
      msg({ toPhone: '+380501234567891' }),
      msg({ toPhone: '+12345671' }),
      msg({ messageType: 'viber_survey', text: 'x'.repeat(85), surveyOptions: ['a', 'b', 'c', 'd', 'e'] }),
      msg({ ttl: 1, scheduledSent: new Date(Date.now() + 29 * DAY_MS).toISOString() }),
    ];
    const sent = [];
    for (const m of edge) sent.push(await client.send(m));
    expect(posts()).toHaveLength(edge.length);
    // 29 days is longer than one Node timer can wait: the message must still be waiting.
    expect(await client.getStatus(sent[4].messageId)).toMatchObject({ rawStatus: 'scheduled' });
  });
});

describe('sendBulk', () => {
  test('2500 messages go in 3 requests of at most 1000, every result mapped back in input order', async () => {
    const messages = Array.from({ length: 2500 }, (_, i) =>
      msg({ id: `bulk-${i}`, toPhone: `+38067${5_000_001 + i * 10}` }),
    );
    const results = await client.sendBulk(messages);

    expect(
      posts()
        .map((r) => (JSON.parse(r.rawBody) as unknown[]).length)
        .sort(),
    ).toEqual([1000, 1000, 500].sort());
    expect(results.map((r) => r.id)).toEqual(messages.map((m) => m.id));
    const accepted = new Map(sim.messages('smsbat').map((m) => [m.messageId, m]));
    results.forEach((r, i) => {
      if (!r.ok) throw r.error;
      expect(accepted.get(r.messageId)).toMatchObject({ trackingKey: `bulk-${i}`, recipient: messages[i].toPhone });
    });
  });

  test('requests run `concurrency` at a time (default 2), matched by tracking id, not by position', async () => {
    const reversed = (ids: string[]) =>
      JSON.stringify(ids.map((id) => ({ messageId: `mid-${id}`, trackinId: id })).reverse());
    const fake = await fakeSmsbat(reversed, 30);
    const messages = Array.from({ length: 50 }, () => msg());
    await withClient({ baseUrl: fake.url, credentials: { apiKey: 'k' } }, async (c) => {
      const results = await c.sendBulk(messages, { batchSize: 10, concurrency: 3 });
      expect(results).toEqual(messages.map((m) => ({ id: m.id, ok: true, messageId: `mid-${m.id}` })));
      expect(fake.seen.maxInFlight).toBe(3);
      fake.seen.maxInFlight = 0;
      await c.sendBulk(messages, { batchSize: 10 });
      expect(fake.seen.maxInFlight).toBe(2);
    });
    await fake.close();
  });

  test('a batch size above 1000 is held to 1000', async () => {
    const echo = (ids: string[]) => JSON.stringify(ids.map((id) => ({ messageId: `mid-${id}`, trackinId: id })));
    const fake = await fakeSmsbat(echo);
    await withClient({ baseUrl: fake.url, credentials: { apiKey: 'k' } }, (c) =>
      c.sendBulk(
        Array.from({ length: 1500 }, () => msg()),
        { batchSize: 5000 },
      ),
    );
    await fake.close();
    expect(fake.seen.sizes.sort()).toEqual([1000, 500].sort());
  });

  test('partial failure: an invalid message fails alone, a failed batch fails its messages, the rest go', async () => {
    sim.script({ provider: 'smsbat', outcome: { kind: 'reject', status: 500 }, times: 1 });
    const messages = Array.from({ length: 25 }, (_, i) => msg({ id: `p-${i}` }));
    messages[3] = msg({ id: 'p-3', toPhone: 'not-a-number' });
    const results = await client.sendBulk(messages, { batchSize: 10, concurrency: 1 });

    expect(results[3]).toMatchObject({ id: 'p-3', ok: false, error: expect.any(ProviderRequestError) });
    expect(results[3]).toMatchObject({ error: { field: 'toPhone' } });
    const firstBatch = [0, 1, 2, 4, 5, 6, 7, 8, 9, 10];
    for (const i of firstBatch) expect(results[i]).toMatchObject({ ok: false, error: expect.any(ProviderServerError) });
    const rest = results.filter((_, i) => i !== 3 && !firstBatch.includes(i));
    expect(rest).toHaveLength(14);
    for (const r of rest) expect(r).toMatchObject({ ok: true, messageId: expect.stringMatching(UUID) });
    const bodies = posts().map((r) => (JSON.parse(r.rawBody) as SmsbatMessage[]).map((m) => m.id));
    expect(bodies.map((b) => b.length)).toEqual([10, 10, 4]);
    expect(bodies.flat()).not.toContain('p-3');
  });

  test('a message missing from its batch answer fails alone with a ProviderResponseError', async () => {
    const dropsSecond = (ids: string[]) =>
      JSON.stringify(ids.filter((_, i) => i !== 1).map((id) => ({ messageId: `mid-${id}`, trackinId: id })));
    const fake = await fakeSmsbat(dropsSecond);
    const messages = [msg(), msg(), msg()];
    const results = await withClient({ baseUrl: fake.url, credentials: { apiKey: 'k' } }, (c) => c.sendBulk(messages));
    await fake.close();
    expect(results).toEqual([
      { id: messages[0].id, ok: true, messageId: `mid-${messages[0].id}` },
      { id: messages[1].id, ok: false, error: expect.any(ProviderResponseError) },
      { id: messages[2].id, ok: true, messageId: `mid-${messages[2].id}` },
    ]);
  });

  test('a tracking id used twice fails the second message, unsent; the first goes', async () => {
    const first = msg({ id: 'same' });
    const results = await client.sendBulk([first, msg({ id: 'same' })]);
    expect(results[0]).toMatchObject({ id: 'same', ok: true });
    expect(results[1]).toMatchObject({ id: 'same', ok: false, error: { field: 'id' } });
    expect(JSON.parse(posts()[0].rawBody)).toEqual([first]);
  });
});

describe('delivery webhook (smsbat.md §3)', () => {
  test('each status change reaches the webhook URL and parses into the shared status', async () => {
    const capture = await startCapture();
    sim.setSmsbatWebhookUrl(`${capture.url}/hook`);
    try {
      sim.script({ provider: 'smsbat', outcome: { kind: 'deliver', afterMs: 100, cost: 0.04 } });
      const { messageId } = await client.send(msg());
      await eventually(() => (capture.received.length >= 2 ? true : undefined));

      expect(capture.received.map((r) => [r.url, r.headers['content-type']])).toEqual([
        ['/hook', 'application/json'],
        ['/hook', 'application/json'],
      ]);
      const [processing, delivered] = capture.received.map((r) => parseSmsbatWebhook(JSON.parse(r.body)));
      expect(processing).toMatchObject({ providerMessageId: messageId, state: 'pending', rawStatus: 'processing' });
      expect(processing.cost).toBeUndefined();
      expect(delivered).toMatchObject({ providerMessageId: messageId, state: 'delivered', cost: 0.04 });
      expect(delivered.occurredAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    } finally {
      sim.setSmsbatWebhookUrl(undefined);
      await capture.close();
    }
  });

  test('a withheld receipt is not sent until settle forces the final status', async () => {
    const capture = await startCapture();
    sim.setSmsbatWebhookUrl(capture.url);
    try {
      sim.script({ provider: 'smsbat', outcome: { kind: 'pending' }, receipt: 'withhold' });
      const { messageId } = await client.send(msg());
      await sleep(100);
      expect(capture.received).toHaveLength(0);

      expect(sim.settle('smsbat', messageId, 'failed')).toBe(true);
      const hook = await eventually(() => capture.received[0]);
      expect(parseSmsbatWebhook(JSON.parse(hook.body))).toMatchObject({
        providerMessageId: messageId,
        state: 'failed',
        rawStatus: 'undeliverable',
        cost: 0,
      });
      expect(await client.getStatus(messageId)).toMatchObject({ state: 'failed', rawStatus: 'undeliverable' });
    } finally {
      sim.setSmsbatWebhookUrl(undefined);
      await capture.close();
    }
  });
});
