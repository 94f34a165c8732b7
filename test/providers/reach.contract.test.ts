import {
  ProviderAuthError,
  ProviderNotFoundError,
  ProviderRateLimitError,
  ProviderRequestError,
  ProviderResponseError,
  ProviderServerError,
  ProviderTimeoutError,
} from '../../src/providers/errors';
import { parseReachCallback, ReachClient, type ReachCreateInput } from '../../src/providers/reach/client';
import { validateReachSignature } from '../../src/providers/reach/signature';
import { SIM_CREDENTIALS, startSimulator, type Simulator } from '../../src/sim/server';
import { eventually, startCapture, startServer } from '../support/servers';

const CREDS = SIM_CREDENTIALS.reach;

describe('ReachClient against the simulator (real sockets)', () => {
  let sim: Simulator;
  let client: ReachClient;
  let n = 0;
  const input = (over: Partial<ReachCreateInput> = {}): ReachCreateInput => ({
    dest: `+23767${1000001 + ++n * 10}`,
    src: '+237691234567',
    body: 'Hello World! This is a sms message.',
    ...over,
  });

  beforeAll(async () => {
    sim = await startSimulator({ smtpPort: false, deliveryDelayMs: 0 });
    client = new ReachClient({ baseUrl: sim.url, ...CREDS });
  });
  afterAll(async () => {
    await client.close();
    await sim.close();
  });
  beforeEach(() => sim.reset());

  test('create sends a form with ApiUser/ApiKey and answers a MessagingItem', async () => {
    const item = await client.create(input({ bulkIdentifier: 'campaign-1', maxPrice: 1, validityPeriod: 600 }));
    expect(item).toMatchObject({ src: '+237691234567', bulkId: 'campaign-1', numSegments: 1, messageType: 'outbound' });
    expect(item.messageId).toMatch(/^MID/);
    const [req] = sim.requests('reach');
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(req.headers).toMatchObject({ apiuser: CREDS.apiUser, apikey: CREDS.apiKey });
    expect(Object.fromEntries(new URLSearchParams(req.rawBody))).toMatchObject({
      maxPrice: '1',
      validityPeriod: '600',
    });
  });

  test('fetch and getStatus follow the message to delivered, with price and currency', async () => {
    sim.script({ provider: 'reach', outcome: { kind: 'deliver', afterMs: 100 } });
    const item = await client.create(input());
    expect((await client.getStatus(item.messageId)).state).toBe('pending');
    await new Promise((r) => setTimeout(r, 200));
    const fetched = await client.fetch(item.messageId);
    expect(fetched.status).toBe('delivered');
    expect(await client.getStatus(item.messageId)).toMatchObject({
      state: 'delivered',
      rawStatus: 'delivered',
      currency: 'USD',
    });
    expect(fetched.price).toBeGreaterThan(0);
  });

  test('a scheduled message can be unscheduled; a sent one cannot', async () => {
    const scheduled = await client.create(input({ scheduledTime: new Date(Date.now() + 3600_000) }));
    expect(scheduled).toMatchObject({ status: 'scheduled', price: null, priceUnit: null, dateSent: null });
    const canceled = await client.unschedule(scheduled.messageId);
    expect(canceled.status).toBe('canceled');
    expect((await client.getStatus(scheduled.messageId)).state).toBe('failed');
    const sent = await client.create(input());
    const err = await client.unschedule(sent.messageId).catch((e) => e);
    expect(err).toBeInstanceOf(ProviderRequestError);
    expect(err.status).toBe(400);
  });

  test('list follows every page of a filter', async () => {
    for (let i = 0; i < 45; i++) await client.create(input({ bulkIdentifier: 'bulk-45' }));
    await client.create(input({ bulkIdentifier: 'other' }));
    const all = await client.list({ bulkIdentifier: 'bulk-45' }, { pageSize: 20 });
    expect(all).toHaveLength(45);
    expect(new Set(all.map((m) => m.messageId)).size).toBe(45);
    const pages = sim.requests('reach').filter((r) => r.path.endsWith('/list'));
    expect(pages.map((r) => r.query.get('page'))).toEqual(['0', '1', '2']);
  });

  test('client-side validation refuses bad input before any request', async () => {
    const bad: Partial<ReachCreateInput>[] = [
      { dest: '237671234567' },
      { src: 'far-too-long-sender' },
      { body: '' },
      { body: 'x'.repeat(1601) },
      { body: 'Код '.repeat(175) }, // Cyrillic is UCS-2: 700 units → 11 segments
      { scheduledTime: new Date(Date.now() + 5 * 60_000) },
      { scheduledTime: new Date(Date.now() + 6 * 86_400_000) },
      { statusCallback: 'https://my_host.example.com/cb' },
      { statusCallback: 'ftp://example.com/cb' },
      { maxPrice: 0 },
      { validityPeriod: 14401 },
      { validityPeriod: 1.5 },
    ];
    for (const b of bad) {
      const err = await client.create(input(b)).catch((e) => e);
      expect(err).toBeInstanceOf(ProviderRequestError);
      expect(err.field).toBeTruthy();
    }
    expect(sim.requests('reach')).toHaveLength(0);
  });

  test('401 is not retryable; 400 carries code and field; 404 for unknown ids', async () => {
    const wrong = new ReachClient({ baseUrl: sim.url, apiUser: CREDS.apiUser, apiKey: 'wrong' });
    const auth = await wrong.create(input()).catch((e) => e);
    await wrong.close();
    expect(auth).toBeInstanceOf(ProviderAuthError);
    expect(auth).toMatchObject({ status: 401, retryable: false });

    sim.script({
      provider: 'reach',
      outcome: { kind: 'reject', status: 400, code: '21211', field: 'dest', message: 'Invalid dest' },
    });
    const invalid = await client.create(input()).catch((e) => e);
    expect(invalid).toMatchObject({ status: 400, code: '21211', field: 'dest', retryable: false });

    await expect(client.fetch('MIDnothing')).rejects.toBeInstanceOf(ProviderNotFoundError);
  });

  test('429 with Retry-After and 5xx are retryable', async () => {
    sim.script({ provider: 'reach', outcome: { kind: 'reject', status: 429, retryAfterSec: 3 }, times: 1 });
    const limited = await client.create(input()).catch((e) => e);
    expect(limited).toBeInstanceOf(ProviderRateLimitError);
    expect(limited).toMatchObject({ retryable: true, retryAfterMs: 3000 });
    sim.setFaults('reach', { maxConcurrency: 0, retryAfterSec: 2 });
    const overloaded = await client.create(input()).catch((e) => e);
    expect(overloaded).toMatchObject({ status: 429, retryAfterMs: 2000 });
    sim.setFaults('reach', { errorRate: 1 });
    const server = await client.create(input()).catch((e) => e);
    expect(server).toBeInstanceOf(ProviderServerError);
    expect(server.retryable).toBe(true);
  });

  test('malformed answers and silence are clear errors', async () => {
    const garbage = await startServer((_q, _b, res) => res.writeHead(200).end('{"status":"sent"}'));
    const g = new ReachClient({ baseUrl: garbage.url, ...CREDS });
    expect(await g.fetch('MID1').catch((e) => e)).toBeInstanceOf(ProviderResponseError);
    await g.close();
    await garbage.close();

    const silent = await startServer(() => undefined);
    const s = new ReachClient({ baseUrl: silent.url, ...CREDS, timeoutMs: 200 });
    expect(await s.fetch('MID1').catch((e) => e)).toBeInstanceOf(ProviderTimeoutError);
    await s.close();
    await silent.close();
  });

  test('status callbacks are signed over the exact URL and parse into the shared status', async () => {
    const capture = await startCapture();
    try {
      const statusCallback = `${capture.url}/callback?wf=order-1`;
      const item = await client.create(input({ statusCallback }));
      const final = await eventually(() => capture.received.find((r) => r.body.includes('status=delivered')));
      const params = Object.fromEntries(new URLSearchParams(final.body));
      const signature = final.headers['x-reach-signature'] as string;
      expect(validateReachSignature({ apiKey: CREDS.apiKey, signature, url: statusCallback, params })).toBe(true);
      expect(
        validateReachSignature({
          apiKey: CREDS.apiKey,
          signature,
          url: statusCallback,
          params: { ...params, status: 'failed' },
        }),
      ).toBe(false);
      expect(parseReachCallback(params)).toMatchObject({
        provider: 'reach',
        providerMessageId: item.messageId,
        state: 'delivered',
      });
      expect(parseReachCallback(params).occurredAt).toMatch(/^20\d\d-\d\d-\d\dT\d\d:\d\d:00Z$/);
      // queued and sent came first, each signed too.
      expect(capture.received.map((r) => new URLSearchParams(r.body).get('status'))).toEqual(['sent', 'delivered']);
    } finally {
      await capture.close();
    }
  });
});
