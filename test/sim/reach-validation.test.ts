import { startSimulator, type Simulator } from '../../src/sim/server';
import { reachPost } from './raw';

/**
 * The simulator's own checks of `POST /rest/messaging/v1/create` (reach.md, "Send or schedule a
 * message"; seed 003), sent as raw forms: every rule refuses in Reach's error-body format, naming
 * the field, and lets the limits themselves through.
 */
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const BASE = { dest: '+237671234567', src: '+237691234567', body: 'Hello World! This is a sms message.' };
const at = (aheadMs: number) => new Date(Date.now() + aheadMs).toISOString();

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ smtpPort: false, deliveryDelayMs: 0 });
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

const create = (over: Record<string, string | undefined>) => {
  const fields = Object.fromEntries(Object.entries({ ...BASE, ...over }).filter(([, v]) => v !== undefined));
  return reachPost(sim, 'create', fields as Record<string, string>);
};

async function expectRefused(over: Record<string, string | undefined>, field: string) {
  const before = sim.messages('reach').length;
  const { status, json } = await create(over);
  expect({ status, json }).toEqual({
    status: 400,
    json: {
      errorCode: 21000,
      errorMessage: expect.stringContaining(field),
      more_info: expect.any(String),
      errorDetails: { field },
    },
  });
  expect(sim.messages('reach')).toHaveLength(before);
}

async function expectAccepted(over: Record<string, string>): Promise<Record<string, unknown>> {
  const { status, json } = await create(over);
  expect({ status, errorMessage: (json as { errorMessage?: string }).errorMessage }).toEqual({
    status: 200,
    errorMessage: null,
  });
  return json as Record<string, unknown>;
}

describe('dest: an E.164 number', () => {
  test.each([
    ['missing', undefined],
    ['without +', '237671234567'],
    ['with a leading 0', '+0237671234567'],
    ['with 16 digits', '+1234567890123456'],
    ['with a space', '+237 671234567'],
  ])('%s is refused naming dest', (_name, dest) => expectRefused({ dest }, 'dest'));

  test('7 digits (the shortest numbers in service) and 15 digits are accepted', async () => {
    await expectAccepted({ dest: '+6834002' });
    await expectAccepted({ dest: '+123456789012345' });
  });
});

describe('src: an E.164 number or an alphanumeric sender id', () => {
  test.each([
    ['My-Shop', 'a hyphen'],
    ['Shop!', 'punctuation'],
    ['ABCDEFGHIJKL', '12 characters'],
    ['12345', 'digits without a letter'],
    ['   ', 'spaces only'],
    ['Magasin é', 'a letter outside A–Z'],
    ['', 'empty'],
  ])('%j (%s) is refused naming src', (src) => expectRefused({ src }, 'src'));

  test.each(['MyShop 1', 'ABCDEFGHI 1', 'A', '+237691234567'])('%j is accepted', async (src) => {
    expect(await expectAccepted({ src })).toMatchObject({ src });
  });
});

describe('body: up to 1600 GSM-7 septets, else up to 10 UCS-2 segments', () => {
  test('a 1600-septet GSM-7 body is accepted, as 11 segments of 153', async () => {
    expect(await expectAccepted({ body: 'x'.repeat(1600) })).toMatchObject({ numSegments: 11 });
  });

  test('a 1601-septet GSM-7 body is refused naming body', () => expectRefused({ body: 'x'.repeat(1601) }, 'body'));

  test('a 1600-character body with one € is 1601 septets: refused', () =>
    expectRefused({ body: 'x'.repeat(1599) + '€' }, 'body'));

  test('every extension character counts as two septets; 800 of them are accepted, 801 refused', async () => {
    const extension = '^{}\\[~]|€\f';
    expect(await expectAccepted({ body: extension.repeat(80) })).toMatchObject({ numSegments: 11 });
    await expectRefused({ body: extension.repeat(80) + '€' }, 'body');
  });

  test('a UCS-2 body of 670 UTF-16 units is accepted as 10 segments; 671 are refused', async () => {
    expect(await expectAccepted({ body: 'ж'.repeat(670) })).toMatchObject({ numSegments: 10 });
    await expectRefused({ body: 'ж'.repeat(671) }, 'body');
  });

  test('one non-GSM character makes the whole body UCS-2: 669 GSM letters and one emoji (2 units) are 671', async () => {
    expect(await expectAccepted({ body: 'x'.repeat(668) + '😀' })).toMatchObject({ numSegments: 10 });
    await expectRefused({ body: 'x'.repeat(669) + '😀' }, 'body');
  });

  test('an empty or missing body is refused', async () => {
    await expectRefused({ body: '' }, 'body');
    await expectRefused({ body: undefined }, 'body');
  });

  test.each([
    ['160 × x', 'x'.repeat(160), 1],
    ['161 × x', 'x'.repeat(161), 2],
    ['306 × x', 'x'.repeat(306), 2],
    ['307 × x', 'x'.repeat(307), 3],
    ['80 × €', '€'.repeat(80), 1],
    ['81 × €', '€'.repeat(81), 2],
    ['70 × ж', 'ж'.repeat(70), 1],
    ['71 × ж', 'ж'.repeat(71), 2],
    ['134 × ж', 'ж'.repeat(134), 2],
    ['135 × ж', 'ж'.repeat(135), 3],
  ])('numSegments (GSM-7 160 in one, 153 per part; UCS-2 70 and 67): %s is %d', async (_label, body, numSegments) => {
    expect(await expectAccepted({ body })).toMatchObject({ numSegments });
  });

  test('update holds a new body to the same rule', async () => {
    const scheduled = await expectAccepted({ scheduledTime: at(60 * MINUTE) });
    const messageId = scheduled.messageId as string;
    const refused = await reachPost(sim, 'update', { messageId, body: 'x'.repeat(1601) });
    expect(refused).toMatchObject({ status: 400, json: { errorCode: 21000, errorDetails: { field: 'body' } } });
    const accepted = await reachPost(sim, 'update', { messageId, body: 'x'.repeat(1600) });
    expect(accepted).toMatchObject({ status: 200, json: { numSegments: 11 } });
  });
});

describe('scheduledTime: ISO 8601, at least 15 minutes and at most 5 days ahead', () => {
  test.each([
    ['14 minutes ahead', at(14 * MINUTE)],
    ['5 days and a minute ahead', at(5 * DAY + MINUTE)],
    ['in the past', at(-MINUTE)],
    ['no date', 'tomorrow'],
    ['no zone', at(DAY).replace('Z', '')],
    ['a day that does not exist', '2099-02-30T10:00:00Z'],
    ['still percent-encoded', at(DAY).replaceAll(':', '%3A')],
  ])('%s is refused naming scheduledTime', (_name, scheduledTime) => expectRefused({ scheduledTime }, 'scheduledTime'));

  test('15 minutes and 5 days, and a time with an offset, are accepted as scheduled', async () => {
    const inAnHourParis = new Date(Date.now() + 60 * MINUTE + 2 * 60 * MINUTE).toISOString().slice(0, 19) + '+02:00';
    for (const scheduledTime of [at(15 * MINUTE + 5000), at(5 * DAY - 5000), inAnHourParis]) {
      expect(await expectAccepted({ scheduledTime })).toMatchObject({ status: 'scheduled' });
    }
  });
});

describe('statusCallback: a URL with a valid host name, no underscores', () => {
  test.each([
    'https://my_host.example.com/cb',
    'https://-bad-.example.com/cb',
    'ftp://example.com/cb',
    'not a url',
    'https://exa mple.com/cb',
    '',
  ])('%j is refused naming statusCallback', (statusCallback) => expectRefused({ statusCallback }, 'statusCallback'));

  test.each([
    'https://hooks.example.com/reach?wf=order_1',
    'http://127.0.0.1:8091/webhooks/reach',
    'http://localhost/cb',
  ])('%j is accepted', (statusCallback) => expectAccepted({ statusCallback }));
});

describe('maxPrice: a positive amount; validityPeriod: whole seconds from 1 to 14400', () => {
  test.each(['0', '-1', 'abc', '', 'NaN', 'Infinity'])('maxPrice %j is refused', (maxPrice) =>
    expectRefused({ maxPrice }, 'maxPrice'),
  );
  test.each(['0', '14401', '1.5', '-5', 'x', ''])('validityPeriod %j is refused', (validityPeriod) =>
    expectRefused({ validityPeriod }, 'validityPeriod'),
  );
  test('the limits are accepted', async () => {
    for (const over of <Record<string, string>[]>[
      { maxPrice: '0.5' },
      { maxPrice: '25' },
      { validityPeriod: '1' },
      { validityPeriod: '14400' },
    ]) {
      await expectAccepted(over);
    }
  });
});

test('a parameter given twice is refused naming it', async () => {
  const { status, json } = await reachPost(sim, 'create', `${new URLSearchParams(BASE)}&dest=%2B237671234568`);
  expect(status).toBe(400);
  expect(json).toMatchObject({ errorDetails: { field: 'dest' } });
});
