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
import { computeReachSignature, validateReachSignature } from '../../src/providers/reach/signature';
import { REACH_SIM_CODES } from '../../src/sim/reach';
import { SIM_CREDENTIALS, startSimulator, type Simulator } from '../../src/sim/server';
import { eventually, startCapture, startServer } from '../support/servers';

const CREDS = SIM_CREDENTIALS.reach;
const MINUTE = 60_000;

describe('ReachClient against the simulator (real sockets)', () => {
  let sim: Simulator;
  let client: ReachClient;
  let n = 0;
  const phone = () => `+23767${String(1_000_001 + ++n * 10).padStart(7, '0')}`;
  const input = (over: Partial<ReachCreateInput> = {}): ReachCreateInput => ({
    dest: phone(),
    src: '+237691234567',
    body: 'Hello World! This is a sms message.',
    ...over,
  });
  const failure = (p: Promise<unknown>) => p.then(() => undefined).catch((e: unknown) => e);
  async function waitForStatus(messageId: string, status: string) {
    const until = Date.now() + 5000;
    for (;;) {
      const item = await client.fetch(messageId);
      if (item.status === status) return item;
      if (Date.now() > until) throw new Error(`${messageId} is ${item.status}, never ${status}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  beforeAll(async () => {
    sim = await startSimulator({ smtpPort: false, deliveryDelayMs: 0 });
    client = new ReachClient({ baseUrl: sim.url, ...CREDS });
  });
  afterAll(async () => {
    await client.close();
    await sim.close();
  });
  beforeEach(() => sim.reset());

  describe('create, fetch, list, unschedule', () => {
    test('create posts a form with ApiUser/ApiKey and answers a queued, priced MessagingItem', async () => {
      const i = input({ bulkIdentifier: 'campaign-1', maxPrice: 1, validityPeriod: 600 });
      const item = await client.create(i);
      expect(item).toMatchObject({
        dest: i.dest,
        src: '+237691234567',
        body: i.body,
        bulkId: 'campaign-1',
        numSegments: 1,
        price: 0.05,
        priceUnit: 'usd',
        status: 'queued',
        messageType: 'outbound',
      });
      expect(item.messageId).toMatch(/^MID[0-9a-f]{32}$/);
      const [req] = sim.requests('reach');
      expect(req).toMatchObject({ method: 'POST', path: '/rest/messaging/v1/create' });
      expect(req.headers).toMatchObject({
        'content-type': 'application/x-www-form-urlencoded',
        apiuser: CREDS.apiUser,
        apikey: CREDS.apiKey,
      });
      expect(Object.fromEntries(new URLSearchParams(req.rawBody))).toEqual({
        dest: i.dest,
        src: i.src,
        body: i.body,
        bulkIdentifier: 'campaign-1',
        maxPrice: '1',
        validityPeriod: '600',
      });
    });

    test('a scheduled create answers `scheduled`, unpriced and unsent, and sends the time in ISO 8601', async () => {
      const at = new Date(Math.floor((Date.now() + 60 * MINUTE) / 1000) * 1000);
      const item = await client.create(input({ scheduledTime: at }));
      // Null in the answer: read as absent (no price, no send time yet).
      expect(item).toMatchObject({ status: 'scheduled', price: undefined, priceUnit: undefined, dateSent: undefined });
      expect(new URLSearchParams(sim.requests('reach')[0].rawBody).get('scheduledTime')).toBe(
        at.toISOString().replace('.000Z', 'Z'),
      );
      expect(await client.getStatus(item.messageId)).toMatchObject({ state: 'pending', rawStatus: 'scheduled' });
    });

    test('fetch answers the same message by id', async () => {
      const item = await client.create(input({ src: 'MyShop' }));
      const fetched = await client.fetch(item.messageId);
      expect(fetched).toMatchObject({ messageId: item.messageId, src: 'MyShop', dest: item.dest, body: item.body });
      expect(sim.requests('reach').at(-1)?.query.get('messageId')).toBe(item.messageId);
    });

    test('list follows every page: 45 messages at pageSize 20 are 3 pages, all returned', async () => {
      for (let i = 0; i < 45; i++) await client.create(input({ bulkIdentifier: 'bulk-45' }));
      await client.create(input({ bulkIdentifier: 'other' }));
      const all = await client.list({ bulkIdentifier: 'bulk-45' }, { pageSize: 20 });
      expect(all).toHaveLength(45);
      expect(new Set(all.map((m) => m.messageId)).size).toBe(45);
      expect(all.every((m) => m.bulkId === 'bulk-45')).toBe(true);
      const pages = sim.requests('reach').filter((r) => r.path.endsWith('/list'));
      expect(pages.map((r) => [r.query.get('page'), r.query.get('pageSize')])).toEqual([
        ['0', '20'],
        ['1', '20'],
        ['2', '20'],
      ]);
      expect(await client.list({ bulkIdentifier: 'bulk-45' }, { pageSize: 20, maxPages: 2 })).toHaveLength(40);
      expect(await client.list({ bulkIdentifier: 'nobody' })).toEqual([]);
    });

    test('list filters by dest, src and the time a message was sent', async () => {
      const first = await client.create(input({ bulkIdentifier: 'f', src: 'Alpha' }));
      await new Promise((r) => setTimeout(r, 20));
      const between = new Date().toISOString();
      await new Promise((r) => setTimeout(r, 20));
      const second = await client.create(input({ bulkIdentifier: 'f', src: 'Beta' }));
      const later = await client.create(
        input({ bulkIdentifier: 'f', scheduledTime: new Date(Date.now() + 60 * MINUTE) }),
      );
      const ids = async (filter: Parameters<ReachClient['list']>[0]) =>
        (await client.list({ bulkIdentifier: 'f', ...filter })).map((m) => m.messageId);

      expect(await ids({ dest: second.dest })).toEqual([second.messageId]);
      expect(await ids({ src: 'Alpha' })).toEqual([first.messageId]);
      expect(await ids({ sentAfter: between })).toEqual([second.messageId]);
      expect(await ids({ sentBefore: between })).toEqual([first.messageId]);
      // The scheduled message has not been sent: no sent-date filter matches it.
      expect(await ids({ sentAt: between })).toEqual([first.messageId, second.messageId]);
      expect(await ids({})).toContain(later.messageId);
    });

    test('unschedule cancels a scheduled message; a message already sent gets a 400', async () => {
      const scheduled = await client.create(input({ scheduledTime: new Date(Date.now() + 60 * MINUTE) }));
      const canceled = await client.unschedule(scheduled.messageId);
      expect(canceled).toMatchObject({ messageId: scheduled.messageId, status: 'canceled', price: undefined });
      expect(await client.getStatus(scheduled.messageId)).toMatchObject({ state: 'failed', rawStatus: 'canceled' });
      expect(new URLSearchParams(sim.requests('reach').at(-2)?.rawBody).get('messageId')).toBe(scheduled.messageId);

      const sent = await client.create(input());
      await waitForStatus(sent.messageId, 'delivered');
      const err = await failure(client.unschedule(sent.messageId));
      expect(err).toBeInstanceOf(ProviderRequestError);
      expect(err).toMatchObject({ status: 400, code: String(REACH_SIM_CODES.notScheduled), field: 'messageId' });
      expect((await client.fetch(sent.messageId)).status).toBe('delivered');
    });
  });

  describe('the status lifecycle, normalised', () => {
    test('queued → sent → delivered; getStatus gives price as cost, the currency upper-cased, the update time', async () => {
      const dest = phone();
      sim.script({ recipient: dest, provider: 'reach', outcome: { kind: 'deliver', afterMs: 400 } });
      const item = await client.create(input({ dest }));
      expect(item.status).toBe('queued');
      const sent = await waitForStatus(item.messageId, 'sent');
      expect(await client.getStatus(item.messageId)).toMatchObject({ state: 'pending', rawStatus: 'sent' });
      const delivered = await waitForStatus(item.messageId, 'delivered');
      expect(Date.parse(delivered.dateUpdated!)).toBeGreaterThan(Date.parse(sent.dateUpdated!));
      expect(await client.getStatus(item.messageId)).toEqual({
        provider: 'reach',
        providerMessageId: item.messageId,
        state: 'delivered',
        rawStatus: 'delivered',
        cost: 0.05,
        currency: 'USD',
        occurredAt: delivered.dateUpdated,
        parts: 1,
      });
    });

    test("an operator failure is `undelivered` with Reach's error code and message", async () => {
      const item = await client.create(input({ dest: '+237671234998' })); // …998: fails at the provider
      await waitForStatus(item.messageId, 'undelivered');
      expect(await client.getStatus(item.messageId)).toMatchObject({
        state: 'failed',
        rawStatus: 'undelivered',
        errorCode: String(REACH_SIM_CODES.unreachable),
        errorMessage: expect.any(String),
      });
    });

    test('a message never settled by the operator stays `sent`', async () => {
      const item = await client.create(input({ dest: '+237671234999' })); // …999: never settles
      await waitForStatus(item.messageId, 'sent');
      await new Promise((r) => setTimeout(r, 100));
      expect(await client.getStatus(item.messageId)).toMatchObject({ state: 'pending', rawStatus: 'sent' });
    });

    test('a price above maxPrice fails the message', async () => {
      const item = await client.create(input({ maxPrice: 0.01 }));
      await waitForStatus(item.messageId, 'failed');
      expect(await client.getStatus(item.messageId)).toMatchObject({
        state: 'failed',
        errorCode: String(REACH_SIM_CODES.priceAboveMax),
      });
    });

    test('a message still queued when validityPeriod runs out fails', async () => {
      const dest = phone();
      sim.script({ recipient: dest, provider: 'reach', outcome: { kind: 'deliver', afterMs: 5000 } });
      const item = await client.create(input({ dest, validityPeriod: 1 }));
      await new Promise((r) => setTimeout(r, 200));
      expect((await client.fetch(item.messageId)).status).toBe('queued');
      await waitForStatus(item.messageId, 'failed');
      expect((await client.getStatus(item.messageId)).errorCode).toBe(String(REACH_SIM_CODES.validityExpired));
    });
  });

  describe('client-side validation', () => {
    const soon = (ms: number) => new Date(Date.now() + ms);
    const cases: [string, Partial<ReachCreateInput>][] = [
      ['dest', { dest: '237671234567' }],
      ['dest', { dest: '+0237671234567' }],
      ['dest', { dest: '+1234567890123456' }],
      ['src', { src: 'far-too-long' }],
      ['src', { src: '12345' }],
      ['src', { src: 'Shop!' }],
      ['src', { src: '' }],
      ['body', { body: '' }],
      ['body', { body: 'x'.repeat(1601) }], // over the seed's 1600 GSM-7 characters
      ['body', { body: '€'.repeat(801) }], // extension characters take 2 septets: 1602
      ['body', { body: 'ж'.repeat(671) }], // 11 UCS-2 segments
      ['body', { body: 'ж'.repeat(671) }], // 11 UCS-2 segments
      ['scheduledTime', { scheduledTime: soon(14 * MINUTE) }],
      ['scheduledTime', { scheduledTime: soon(5 * 24 * 60 * MINUTE + MINUTE) }],
      ['scheduledTime', { scheduledTime: 'tomorrow' }],
      ['scheduledTime', { scheduledTime: '2016-08-31T01%3A23%3A45Z' }],
      ['statusCallback', { statusCallback: 'https://my_host.example.com/cb' }],
      ['statusCallback', { statusCallback: 'https://-bad-.example.com/cb' }],
      ['statusCallback', { statusCallback: 'ftp://example.com/cb' }],
      ['statusCallback', { statusCallback: 'not a url' }],
      ['maxPrice', { maxPrice: 0 }],
      ['maxPrice', { maxPrice: -1 }],
      ['maxPrice', { maxPrice: NaN }],
      ['validityPeriod', { validityPeriod: 0 }],
      ['validityPeriod', { validityPeriod: 14401 }],
      ['validityPeriod', { validityPeriod: 1.5 }],
    ];

    test.each(cases)('refuses a bad %s before any request: %j', async (field, bad) => {
      const err = await failure(client.create(input(bad)));
      expect(err).toBeInstanceOf(ProviderRequestError);
      expect(err).toMatchObject({ provider: 'reach', field, retryable: false });
      expect(sim.requests('reach')).toHaveLength(0);
    });

    test('refuses an empty message id before any request', async () => {
      for (const call of [client.fetch(''), client.unschedule(''), client.getStatus('')]) {
        expect(await failure(call)).toMatchObject({ kind: 'invalid_request', field: 'messageId' });
      }
      expect(sim.requests('reach')).toHaveLength(0);
    });

    test('the limits themselves are allowed', async () => {
      const fine: Partial<ReachCreateInput>[] = [
        { dest: '+6834002' }, // 7 digits: the shortest E.164 numbers
        { src: 'ABCDEFGHI 1' }, // 11 characters
        { body: 'x'.repeat(1600) }, // the seed's "up to 1600 GSM-7 characters"
        { body: '€'.repeat(800) }, // 1600 septets
        { body: 'ж'.repeat(670) }, // 10 UCS-2 segments
        { scheduledTime: soon(15 * MINUTE + 5000) },
        { scheduledTime: soon(5 * 24 * 60 * MINUTE - 5000).toISOString() },
        { validityPeriod: 1 },
        { validityPeriod: 14400 },
        { maxPrice: 0.5 },
      ];
      for (const over of fine) await client.create(input(over));
      expect(sim.messages('reach')).toHaveLength(fine.length);
    });
  });

  describe('errors, typed and classified', () => {
    test('401 for a wrong ApiKey is not retryable', async () => {
      const wrong = new ReachClient({ baseUrl: sim.url, apiUser: CREDS.apiUser, apiKey: 'wrong' });
      const err = await failure(wrong.create(input()));
      await wrong.close();
      expect(err).toBeInstanceOf(ProviderAuthError);
      expect(err).toMatchObject({ status: 401, code: String(REACH_SIM_CODES.unauthorized), retryable: false });
    });

    test("400 carries Reach's errorCode as code and errorDetails.field as field", async () => {
      sim.script({
        provider: 'reach',
        outcome: { kind: 'reject', status: 400, code: '21211', field: 'dest', message: 'Invalid dest' },
      });
      const err = await failure(client.create(input()));
      expect(err).toBeInstanceOf(ProviderRequestError);
      expect(err).toMatchObject({ status: 400, code: '21211', field: 'dest', retryable: false });
      expect((err as Error).message).toContain('Invalid dest');
    });

    test("Reach's own validation: a time valid on the client's clock is refused on the provider's", async () => {
      const seedDay = new ReachClient({ baseUrl: sim.url, ...CREDS, now: () => Date.parse('2016-08-29T09:12:33Z') });
      const err = await failure(seedDay.create(input({ scheduledTime: '2016-08-31T01:23:45Z' })));
      await seedDay.close();
      expect(sim.requests('reach')).toHaveLength(1);
      expect(err).toBeInstanceOf(ProviderRequestError);
      expect(err).toMatchObject({
        status: 400,
        code: String(REACH_SIM_CODES.invalidParameter),
        field: 'scheduledTime',
      });
    });

    test('404 for an unknown message id', async () => {
      const err = await failure(client.fetch('MIDnothing'));
      expect(err).toBeInstanceOf(ProviderNotFoundError);
      expect(err).toMatchObject({ status: 404, code: String(REACH_SIM_CODES.notFound), retryable: false });
    });

    test('429 with Retry-After is retryable after that delay', async () => {
      sim.script({ provider: 'reach', outcome: { kind: 'reject', status: 429, retryAfterSec: 3 }, times: 1 });
      const limited = await failure(client.create(input()));
      expect(limited).toBeInstanceOf(ProviderRateLimitError);
      expect(limited).toMatchObject({ status: 429, retryable: true, retryAfterMs: 3000 });

      sim.setFaults('reach', { maxConcurrency: 0, retryAfterSec: 2 });
      const overloaded = await failure(client.create(input()));
      expect(overloaded).toMatchObject({
        status: 429,
        code: String(REACH_SIM_CODES.tooManyRequests),
        retryAfterMs: 2000,
      });
    });

    test('5xx is retryable, with or without a Reach error body', async () => {
      sim.setFaults('reach', { errorRate: 1 });
      const err = await failure(client.create(input()));
      expect(err).toBeInstanceOf(ProviderServerError);
      expect(err).toMatchObject({ retryable: true, code: String(REACH_SIM_CODES.serverError) });

      const gateway = await startServer((_req, _body, res) => res.writeHead(502).end('Bad Gateway'));
      const viaGateway = new ReachClient({ baseUrl: gateway.url, ...CREDS });
      try {
        const bare = await failure(viaGateway.fetch('MID1'));
        expect(bare).toBeInstanceOf(ProviderServerError);
        expect(bare).toMatchObject({ status: 502, code: undefined, retryable: true });
      } finally {
        await viaGateway.close();
        await gateway.close();
      }
    });

    test('a 200 that is not a MessagingItem is a ProviderResponseError', async () => {
      const answers = ['{"status":"sent"}', 'OK'];
      const server = await startServer((_req, _body, res) => res.writeHead(200).end(answers.shift()));
      const wrongShape = new ReachClient({ baseUrl: server.url, ...CREDS });
      try {
        expect(await failure(wrongShape.fetch('MID1'))).toBeInstanceOf(ProviderResponseError);
        expect(await failure(wrongShape.fetch('MID1'))).toBeInstanceOf(ProviderResponseError);
      } finally {
        await wrongShape.close();
        await server.close();
      }
    });

    test('a provider that never answers is a ProviderTimeoutError', async () => {
      const silent = await startServer(() => undefined);
      const s = new ReachClient({ baseUrl: silent.url, ...CREDS, timeoutMs: 200 });
      try {
        const started = Date.now();
        const err = await failure(s.fetch('MID1'));
        expect(err).toBeInstanceOf(ProviderTimeoutError);
        expect(err).toMatchObject({ retryable: true });
        // 200 ms configured; the default is 10 s. The margin is for a busy machine.
        expect(Date.now() - started).toBeLessThan(8000);
      } finally {
        await s.close();
        await silent.close();
      }
    });
  });

  describe('status callbacks', () => {
    test('each change is POSTed signed over the exact URL, validates and parses into the shared status', async () => {
      const capture = await startCapture();
      try {
        const statusCallback = `${capture.url}/reach/status?wf=order-1&x=a%20b`;
        const item = await client.create(input({ statusCallback, bulkIdentifier: 'otp' }));
        await eventually(() => capture.received.find((r) => r.body.includes('status=delivered')));
        const received = capture.received.map((r) => ({
          params: Object.fromEntries(new URLSearchParams(r.body)),
          signature: r.headers['x-reach-signature'] as string,
          path: r.url,
        }));
        expect(received.map((r) => r.params.status).sort()).toEqual(['delivered', 'queued', 'sent']);
        for (const { params, signature, path } of received) {
          expect(path).toBe('/reach/status?wf=order-1&x=a%20b');
          expect(validateReachSignature({ apiKey: CREDS.apiKey, signature, url: statusCallback, params })).toBe(true);
          expect(parseReachCallback(params)).toMatchObject({ provider: 'reach', providerMessageId: item.messageId });
        }

        const delivered = received.find((r) => r.params.status === 'delivered')!.params;
        expect(delivered).toEqual({
          status: 'delivered',
          messageId: item.messageId,
          src: item.src,
          dest: item.dest,
          body: item.body,
          bulkId: 'otp',
          numSegments: '1',
          numMedia: '0',
          dlrDate: expect.stringMatching(/^\d{10}$/),
        });
        const status = parseReachCallback(delivered);
        expect(status).toMatchObject({ state: 'delivered', rawStatus: 'delivered' });
        expect(Math.abs(Date.parse(status.occurredAt!) - Date.now())).toBeLessThan(2 * MINUTE);
      } finally {
        await capture.close();
      }
    });

    test('a forged or tampered callback fails validation', async () => {
      const url = 'https://hooks.example.com/reach/status?wf=order-1';
      const params = { status: 'delivered', messageId: 'MID1', dest: '+237671234567' };
      const forged = computeReachSignature('not-the-api-key', url, params);
      expect(validateReachSignature({ apiKey: CREDS.apiKey, signature: forged, url, params })).toBe(false);
      const genuine = computeReachSignature(CREDS.apiKey, url, params);
      const tampered = { ...params, status: 'undelivered' };
      expect(validateReachSignature({ apiKey: CREDS.apiKey, signature: genuine, url, params: tampered })).toBe(false);
      const otherFlow = url.replace('order-1', 'order-2');
      expect(validateReachSignature({ apiKey: CREDS.apiKey, signature: genuine, url: otherFlow, params })).toBe(false);
    });

    test('settle drives a message whose receipts are withheld to its final status, and sends that receipt', async () => {
      const capture = await startCapture();
      try {
        const dest = phone();
        sim.script({ recipient: dest, provider: 'reach', outcome: { kind: 'pending' }, receipt: 'withhold' });
        const item = await client.create(input({ dest, statusCallback: `${capture.url}/cb` }));
        await waitForStatus(item.messageId, 'sent');
        await new Promise((r) => setTimeout(r, 100));
        expect(capture.received).toHaveLength(0); // queued and sent were withheld

        expect(sim.settle('reach', item.messageId, 'failed')).toBe(true);
        const receipt = await eventually(() => capture.received[0]);
        expect(parseReachCallback(Object.fromEntries(new URLSearchParams(receipt.body)))).toMatchObject({
          providerMessageId: item.messageId,
          state: 'failed',
          rawStatus: 'undelivered',
        });
        expect((await client.fetch(item.messageId)).status).toBe('undelivered');
        expect(sim.settle('reach', 'MIDnothing', 'delivered')).toBe(false);
      } finally {
        await capture.close();
      }
    });

    test('parseReachCallback names the missing or malformed field', () => {
      expect(() => parseReachCallback({ status: 'sent' })).toThrow(
        expect.objectContaining({ kind: 'invalid_request', field: 'messageId' }),
      );
      // A date that cannot be read is no date, named as unreadable: the receipt still counts.
      expect(parseReachCallback({ messageId: 'MID1', status: 'sent', dlrDate: '2513011200' })).toMatchObject({
        state: 'pending',
        unreadable: ['dlrDate'],
      });
      expect(parseReachCallback({ messageId: 'MID1', status: 'held', extra: 'kept' })).toMatchObject({
        state: 'unknown',
        rawStatus: 'held',
      });
    });
  });
});
