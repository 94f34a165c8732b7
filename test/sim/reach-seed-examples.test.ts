import { request } from 'undici';
import { SIM_CREDENTIALS, startSimulator, type Simulator } from '../../src/sim/server';

/**
 * The two curl examples of the Reach seed (../shared/seeds/003_*.txt, "Exemple 1" and "Exemple 2"),
 * sent byte for byte as curl sends them, against the simulator; the answers are held to the seed's
 * documented JSON, key by key and type by type.
 */

// The documented answers, as printed in the seed.
const SEED_SENT = {
  appletId: 'AIDXXXXXXXXXXXX',
  apiVersion: '1.0.0',
  body: 'Hello World! This is a sms message.',
  dest: '+237671234567',
  src: '+237691234567',
  bulkId: null,
  numSegments: 1,
  numMedia: 0,
  price: 25.0,
  priceUnit: 'xaf',
  messageId: 'MIDXXXXXXXXXXXX',
  status: 'sent',
  messageType: 'outbound',
  errorCode: null,
  errorMessage: null,
  dateCreated: '2016-08-29T09:12:33.001Z',
  dateSent: '2016-08-29T09:12:34.001Z',
  dateUpdated: '2016-08-29T09:12:35.001Z',
};
const SEED_SCHEDULED = {
  ...SEED_SENT,
  price: null,
  priceUnit: null,
  status: 'scheduled',
  dateSent: null,
  dateUpdated: '2016-08-29T09:12:33.001Z',
};

const EXAMPLE_1 = ['dest=+237671234567', 'src=+237691234567', 'body=Hello World! This is a sms message.'];
const EXAMPLE_2 = [...EXAMPLE_1, 'scheduledTime=2016-08-31T01%3A23%3A45Z'];

/** `--data-urlencode "name=content"`: content percent-encoded once (all but A-Z a-z 0-9 - . _ ~), joined by `&`. */
function curlForm(args: string[]): string {
  return args
    .map((arg) => {
      const eq = arg.indexOf('=');
      const content = encodeURIComponent(arg.slice(eq + 1)).replace(
        /[!'()*]/g,
        (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
      );
      return `${arg.slice(0, eq + 1)}${content}`;
    })
    .join('&');
}

/** The type of a JSON value, `null` apart, for comparing shapes. */
const typeOf = (v: unknown) => (v === null ? 'null' : typeof v);
const shape = (o: object) => Object.entries(o).map(([k, v]) => [k, typeOf(v)]);
const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe('the Reach seed examples, verbatim, against the simulator', () => {
  let sim: Simulator;

  beforeAll(async () => {
    sim = await startSimulator({ smtpPort: false, deliveryDelayMs: 0 });
  });
  afterAll(() => sim.close());
  beforeEach(() => sim.reset());

  /** curl -X POST …/rest/messaging/v1/create --data-urlencode … -H "ApiUser: …" -H "ApiKey: …" */
  async function curl(args: string[]) {
    const res = await request(`${sim.url}/rest/messaging/v1/create`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded', // what curl sets for --data-*
        accept: '*/*',
        ApiUser: SIM_CREDENTIALS.reach.apiUser,
        ApiKey: SIM_CREDENTIALS.reach.apiKey,
      },
      body: curlForm(args),
    });
    return { status: res.statusCode, json: (await res.body.json()) as Record<string, unknown> };
  }

  test('curl encodes the examples as the seed implies', () => {
    expect(curlForm(EXAMPLE_1)).toBe(
      'dest=%2B237671234567&src=%2B237691234567&body=Hello%20World%21%20This%20is%20a%20sms%20message.',
    );
    // The seed's value is already percent-encoded, so curl encodes its `%` once more.
    expect(curlForm(EXAMPLE_2)).toMatch(/&scheduledTime=2016-08-31T01%253A23%253A45Z$/);
  });

  test('example 1, send an SMS: the documented MessagingItem, key by key and type by type', async () => {
    const { status, json } = await curl(EXAMPLE_1);
    expect(status).toBe(200);
    expect(shape(json)).toEqual(shape(SEED_SENT));
    expect(json).toEqual({
      appletId: expect.stringMatching(/^AID[0-9a-f]+$/),
      apiVersion: '1.0.0',
      body: 'Hello World! This is a sms message.',
      dest: '+237671234567',
      src: '+237691234567',
      bulkId: null,
      numSegments: 1,
      numMedia: 0,
      price: expect.any(Number),
      priceUnit: expect.stringMatching(/^[a-z]{3}$/), // lower-case, like the seed's `xaf`
      messageId: expect.stringMatching(/^MID[0-9a-f]{32}$/),
      // Accepted for sending; `sent` (as printed in the seed) follows when the operator takes it.
      status: 'queued',
      messageType: 'outbound',
      errorCode: null,
      errorMessage: null,
      dateCreated: expect.stringMatching(ISO_MS),
      dateSent: expect.stringMatching(ISO_MS),
      dateUpdated: expect.stringMatching(ISO_MS),
    });
    expect(json.price).toBeGreaterThan(0);
    expect(sim.messages('reach')).toEqual([
      expect.objectContaining({ messageId: json.messageId, recipient: '+237671234567', status: expect.any(String) }),
    ]);
  });

  test("example 2 verbatim: the literal `%3A` time (and in 2016) is refused in Reach's error format, naming scheduledTime", async () => {
    const { status, json } = await curl(EXAMPLE_2);
    const received = new URLSearchParams(sim.requests('reach')[0].rawBody);
    expect(received.get('scheduledTime')).toBe('2016-08-31T01%3A23%3A45Z');
    expect(status).toBe(400);
    expect(json).toEqual({
      errorCode: expect.any(Number),
      errorMessage: expect.stringContaining('scheduledTime'),
      more_info: expect.any(String),
      errorDetails: { field: 'scheduledTime' },
    });
    expect(Number.isInteger(json.errorCode)).toBe(true);

    // Decoded, it is still far in the past: at least 15 minutes ahead is required.
    const decoded = await curl([...EXAMPLE_1, 'scheduledTime=2016-08-31T01:23:45Z']);
    expect(decoded.status).toBe(400);
    expect(decoded.json.errorDetails).toEqual({ field: 'scheduledTime' });
    expect(sim.messages('reach')).toHaveLength(0);
  });

  test('example 2 an hour ahead: the documented scheduled MessagingItem, unpriced and unsent', async () => {
    const inAnHour = new Date(Date.now() + 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const { status, json } = await curl([...EXAMPLE_1, `scheduledTime=${inAnHour}`]);
    expect(status).toBe(200);
    expect(shape(json)).toEqual(shape(SEED_SCHEDULED));
    expect(json).toMatchObject({
      body: 'Hello World! This is a sms message.',
      dest: '+237671234567',
      src: '+237691234567',
      bulkId: null,
      numSegments: 1,
      numMedia: 0,
      price: null,
      priceUnit: null,
      messageId: expect.stringMatching(/^MID[0-9a-f]{32}$/),
      status: 'scheduled',
      messageType: 'outbound',
      dateSent: null,
    });
    // Created and last updated at the same instant, as in the seed.
    expect(json.dateUpdated).toBe(json.dateCreated);
    expect(sim.messages('reach')[0].fields).toMatchObject({ scheduledTime: inAnHour });
  });
});
