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
import { parseSmsbatWebhook, SmsbatClient, type SmsbatMessage } from '../../src/providers/smsbat/client';
import { SIM_CREDENTIALS, startSimulator, type Simulator } from '../../src/sim/server';
import { eventually, startCapture, startServer } from '../support/servers';

const KEY = SIM_CREDENTIALS.smsbat;

describe('SmsbatClient against the simulator (real sockets)', () => {
  let sim: Simulator;
  let client: SmsbatClient;
  let n = 0;
  const msg = (over: Partial<SmsbatMessage> = {}): SmsbatMessage => ({
    id: `tx-${++n}`,
    fromName: 'YourBank',
    toPhone: `+38050${1000001 + n * 10}`,
    messageType: 'transaction',
    text: 'Payment of $100 was successful',
    ...over,
  });
  const sends = () => sim.requests('smsbat').filter((r) => r.method === 'POST');

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

  test('sends on both cascade routes, echoing our tracking id', async () => {
    const standard = await client.send(msg({ id: 'order-1' }));
    const priority = await client.send(msg({ id: 'order-2' }), { route: 'tg-viber' });
    expect(standard.trackingId).toBe('order-1');
    expect(standard.messageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(priority.trackingId).toBe('order-2');
    expect(sends().map((r) => r.path)).toEqual([
      '/api/CascadeMessage/send_message/async',
      '/api/CascadeMessage/send_message/tg-viber/async',
    ]);
    expect(JSON.parse(sends()[0].rawBody)).toEqual([
      expect.objectContaining({ id: 'order-1', toPhone: expect.any(String) }),
    ]);
  });

  test('every message type, with ttl and scheduledSent', async () => {
    await client.send(
      msg({ messageType: 'promo', ttl: 259200, scheduledSent: new Date(Date.now() + 3600_000).toISOString() }),
    );
    await client.send(
      msg({ messageType: 'viber_survey', text: 'How satisfied are you?', surveyOptions: ['Yes', 'No'], ttl: 604800 }),
    );
    await client.send(msg({ messageType: 'flashcall', text: undefined, ttl: 300 }));
    const bodies = sends().map((r) => JSON.parse(r.rawBody)[0]);
    expect(bodies.map((b) => b.messageType)).toEqual(['promo', 'viber_survey', 'flashcall']);
    expect(bodies[1].surveyOptions).toEqual(['Yes', 'No']);
    expect(bodies[2]).not.toHaveProperty('text');
  });

  test.each([
    ['X-Authorization-Key', { apiKey: KEY.apiKey }, 'x-authorization-key'],
    ['X-Viber-Auth-Token', { viberToken: KEY.viberToken }, 'x-viber-auth-token'],
    ['X-Tg-Bot-Key', { tgBotKey: KEY.tgBotKey }, 'x-tg-bot-key'],
  ])('authenticates a send with %s alone', async (_name, credentials, header) => {
    const c = new SmsbatClient({ baseUrl: sim.url, credentials });
    try {
      await c.send(msg());
      expect(sends()[0].headers[header]).toBeDefined();
    } finally {
      await c.close();
    }
  });

  test('a wrong key is a 401: not retryable', async () => {
    const c = new SmsbatClient({ baseUrl: sim.url, credentials: { apiKey: 'wrong' } });
    const err = await c.send(msg()).catch((e) => e);
    await c.close();
    expect(err).toBeInstanceOf(ProviderAuthError);
    expect(err).toMatchObject({ status: 401, code: 'UNAUTHORIZED', retryable: false });
  });

  test.each(['apiKey', 'basic', 'basicApiKey'] as const)(
    'status with %s auth, basic then extended answers',
    async (auth) => {
      sim.script({ outcome: { kind: 'deliver', afterMs: 150, channel: 'viber' }, provider: 'smsbat' });
      const { messageId } = await client.send(msg());
      const early = await client.getStatus(messageId, { auth });
      expect(early).toMatchObject({ provider: 'smsbat', providerMessageId: messageId, state: 'pending' });
      expect(early.cost).toBeUndefined();
      await new Promise((r) => setTimeout(r, 250));
      const done = await client.getStatus(messageId, { auth });
      expect(done).toMatchObject({ state: 'delivered', rawStatus: 'delivered', channel: 'viber', currency: 'USD' });
      expect(done.cost).toBeGreaterThan(0);
      const header = sim.requests('smsbat').at(-1)!.headers;
      expect(auth === 'apiKey' ? header['x-authorization-key'] : header.authorization).toBeDefined();
    },
  );

  test('failures normalise to failed with cost 0; unknown words to unknown', async () => {
    sim.script({ provider: 'smsbat', outcome: { kind: 'fail', status: 'permanenterror' } });
    const { messageId } = await client.send(msg());
    expect(await client.getStatus(messageId)).toMatchObject({ state: 'failed', rawStatus: 'permanenterror', cost: 0 });
    await expect(client.getStatus('no-such-id')).rejects.toBeInstanceOf(ProviderNotFoundError);
  });

  test('400 carries the provider code and field and is not retryable', async () => {
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
    const err = await client.send(msg()).catch((e) => e);
    expect(err).toBeInstanceOf(ProviderRequestError);
    expect(err).toMatchObject({ status: 400, code: 'INVALID_PHONE', field: 'toPhone', retryable: false });
  });

  test('429 is retryable and carries Retry-After', async () => {
    sim.script({ provider: 'smsbat', outcome: { kind: 'reject', status: 429, retryAfterSec: 7 } });
    const err = await client.send(msg()).catch((e) => e);
    expect(err).toBeInstanceOf(ProviderRateLimitError);
    expect(err).toMatchObject({ status: 429, retryable: true, retryAfterMs: 7000 });
  });

  test('5xx is retryable; a reset connection is a retryable network error', async () => {
    sim.setFaults('smsbat', { errorRate: 1 });
    const err = await client.send(msg()).catch((e) => e);
    expect(err).toBeInstanceOf(ProviderServerError);
    expect(err.retryable).toBe(true);
    sim.setFaults('smsbat', { resetRate: 1 });
    const reset = await client.send(msg()).catch((e) => e);
    expect(reset).toBeInstanceOf(ProviderNetworkError);
    expect(reset.retryable).toBe(true);
  });

  test('invalid messages are refused before any request is made', async () => {
    const bad: Partial<SmsbatMessage>[] = [
      { toPhone: '380501234567' },
      { toPhone: '0501234567' },
      { id: 'has spaces' },
      { messageType: 'viber_survey', surveyOptions: ['only one'] },
      { messageType: 'viber_survey', text: 'x'.repeat(86), surveyOptions: ['a', 'b'] },
      { messageType: 'flashcall' },
      { text: undefined },
      { scheduledSent: new Date(Date.now() + 31 * 86_400_000).toISOString() },
      { ttl: -5 },
    ];
    for (const b of bad) {
      const err = await client.send(msg(b)).catch((e) => e);
      expect(err).toBeInstanceOf(ProviderRequestError);
      expect(err.field).toBeTruthy();
    }
    expect(sim.requests('smsbat')).toHaveLength(0);
  });

  test('bulk: 2500 messages go in 3 requests of at most 1000, every result mapped back', async () => {
    // Numbers ending in 1: none of the simulator's special endings (…400, …997–999).
    const messages = Array.from({ length: 2500 }, (_, i) =>
      msg({ id: `bulk-${i}`, toPhone: `+38067${5000001 + i * 10}` }),
    );
    const results = await client.sendBulk(messages);
    const requests = sends().map((r) => JSON.parse(r.rawBody).length);
    expect(requests.sort()).toEqual([1000, 1000, 500].sort());
    expect(results).toHaveLength(2500);
    results.forEach((r, i) => expect(r).toMatchObject({ id: `bulk-${i}`, ok: true }));
    const accepted = new Map(sim.messages('smsbat').map((m) => [m.messageId, m.trackingKey]));
    for (const r of results) if (r.ok) expect(accepted.get(r.messageId)).toBe(r.id);
  });

  test('bulk partial failure: a failed batch and invalid messages are reported per message', async () => {
    sim.script({ provider: 'smsbat', outcome: { kind: 'reject', status: 500 }, times: 1 });
    const messages = Array.from({ length: 25 }, (_, i) => msg({ id: `p-${i}` }));
    messages[3] = msg({ id: 'p-3', toPhone: 'bad' });
    const results = await client.sendBulk(messages, { batchSize: 10, concurrency: 1 });
    expect(results[3]).toMatchObject({ ok: false, error: expect.any(ProviderRequestError) });
    const failedBatch = results.filter((r) => !r.ok && r.error instanceof ProviderServerError);
    expect(failedBatch).toHaveLength(10);
    expect(results.filter((r) => r.ok)).toHaveLength(14);
  });

  test('a malformed 200 answer is a clear error, never a silent success', async () => {
    for (const body of ['not json', '{"messageId":"x"}', '[]']) {
      const bad = await startServer((_req, _body, res) =>
        res.writeHead(200, { 'content-type': 'application/json' }).end(body),
      );
      const c = new SmsbatClient({ baseUrl: bad.url, credentials: { apiKey: 'k' } });
      const err = await c.send(msg()).catch((e) => e);
      await c.close();
      await bad.close();
      expect(err).toBeInstanceOf(ProviderResponseError);
      expect(err.retryable).toBe(false);
    }
  });

  test('a provider that never answers times out, retryably', async () => {
    const silent = await startServer(() => undefined);
    const c = new SmsbatClient({ baseUrl: silent.url, credentials: { apiKey: 'k' }, timeoutMs: 200 });
    const err = await c.getStatus('x').catch((e) => e);
    await c.close();
    await silent.close();
    expect(err).toBeInstanceOf(ProviderTimeoutError);
    expect(err.retryable).toBe(true);
  });

  test('delivery webhooks reach the configured URL and parse into the shared status', async () => {
    const capture = await startCapture();
    sim.setSmsbatWebhookUrl(`${capture.url}/hook`);
    try {
      const { messageId } = await client.send(msg());
      const hook = await eventually(() =>
        capture.received.find((r) => JSON.parse(r.body).deliverystatus === 'delivered'),
      );
      const status = parseSmsbatWebhook(JSON.parse(hook.body));
      expect(status).toMatchObject({ provider: 'smsbat', providerMessageId: messageId, state: 'delivered' });
      expect(status.occurredAt).toMatch(/Z$/);
      expect(() => parseSmsbatWebhook({ deliverystatus: 'delivered' })).toThrow(ProviderRequestError);
    } finally {
      sim.setSmsbatWebhookUrl(undefined);
      await capture.close();
    }
  });
});
