import { UNDOCUMENTED_FORM_FIELDS, UNDOCUMENTED_JSON_FIELDS } from '../../src/sim/quirks';
import { SIM_CREDENTIALS, startSimulator, type Simulator } from '../../src/sim/server';
import { type SimQuirk } from '../../src/sim/types';
import { eventually, startCapture } from '../support/servers';
import { control, reachGet, reachPost, signatureBySpec, smsbatMessage, smsbatSend, smsbatStatus } from './raw';

/**
 * Quirks on demand: each one shows up in what the simulator sends (webhooks, callbacks, answers),
 * for the messages of a rule that carries it and, set through the control API, for every message
 * of the provider; it is absent otherwise, so each check below is shown to fail without its quirk.
 */

let sim: Simulator;
let capture: Awaited<ReturnType<typeof startCapture>>;
beforeAll(async () => {
  sim = await startSimulator({ smtpPort: false, deliveryDelayMs: 0 });
  capture = await startCapture();
});
afterAll(async () => {
  await sim.close();
  await capture.close();
});
beforeEach(() => {
  sim.reset();
  capture.received.length = 0;
  sim.setSmsbatWebhookUrl(`${capture.url}/smsbat`);
});

let n = 0;
const phone = (prefix: string) => `${prefix}${String(1_000_001 + ++n * 10).padStart(7, '0')}`;
type Json = Record<string, unknown>;

// ---- what SMSBAT sends about two messages: one delivered, one failed --------------------------------

interface SmsbatSent {
  sendAnswer: Json;
  /** Status answer while processing (the short form). */
  early: Json;
  webhooks: { processing: Json; final: Json };
  final: Json;
}

/** One message whose rule (with `quirks`, if given) holds it pending until it is settled. */
async function smsbatMessageThrough(result: 'delivered' | 'failed', quirks?: SimQuirk[]): Promise<SmsbatSent> {
  const toPhone = phone('+38050');
  sim.script({ provider: 'smsbat', recipient: toPhone, outcome: { kind: 'pending' }, quirks });
  const sent = await smsbatSend(sim, [smsbatMessage({ toPhone })]);
  const sendAnswer = (sent.json as Json[])[0];
  const messageId = sendAnswer.messageId as string;
  const hooks = () =>
    capture.received
      .filter((r) => r.url === '/smsbat')
      .map((r) => JSON.parse(r.body) as Json)
      .filter((b) => b.messageId === messageId);
  const early = await smsbatStatus(sim, messageId);
  await eventually(() => (hooks().length === 1 ? true : undefined));
  sim.settle('smsbat', messageId, result);
  await eventually(() => (hooks().length === 2 ? true : undefined));
  const [processing, final] = hooks();
  return { sendAnswer, early, webhooks: { processing, final }, final: await smsbatStatus(sim, messageId) };
}

async function smsbatObserved(quirks?: SimQuirk[]) {
  return {
    delivered: await smsbatMessageThrough('delivered', quirks),
    failed: await smsbatMessageThrough('failed', quirks),
  };
}

// ---- what Reach sends about two messages: one delivered, one failed ---------------------------------

interface ReachSent {
  create: Json;
  fetch: Json;
  listItem: Json;
  /** Callback parameters in lifecycle order: queued, sent, then the final one. */
  callbacks: Record<string, string>[];
}

async function reachMessageThrough(result: 'delivered' | 'failed', quirks?: SimQuirk[]): Promise<ReachSent> {
  const dest = phone('+23767');
  const path = `/reach?to=${encodeURIComponent(dest)}`;
  const statusCallback = `${capture.url}${path}`;
  sim.script({ provider: 'reach', recipient: dest, outcome: { kind: 'pending' }, quirks });
  const created = await reachPost(sim, 'create', { dest, src: 'MyShop', body: 'Your code is 1234', statusCallback });
  const create = created.json as Json;
  const mine = () => capture.received.filter((r) => r.url === path);
  await eventually(() => (mine().length === 2 ? true : undefined));
  sim.settle('reach', create.messageId as string, result);
  await eventually(() => (mine().length === 3 ? true : undefined));
  const callbacks = mine().map((r) => {
    const params = Object.fromEntries(new URLSearchParams(r.body));
    // Whatever the quirks did to the parameters, the signature covers exactly what was sent.
    expect(r.headers['x-reach-signature']).toBe(signatureBySpec(SIM_CREDENTIALS.reach.apiKey, statusCallback, params));
    return params;
  });
  // queued and sent are posted back to back and may arrive in either order; the final one comes last.
  const rank = (status: string) => ['queued', 'sent'].indexOf(status.toLowerCase()) + 1 || 3;
  callbacks.sort((a, b) => rank(a.status) - rank(b.status));
  const fetched = await reachGet(sim, 'fetch', { messageId: create.messageId as string });
  const listed = await reachGet(sim, 'list', { dest });
  return {
    create,
    fetch: fetched.json as Json,
    listItem: (listed.json as { messages: Json[] }).messages[0],
    callbacks,
  };
}

async function reachObserved(quirks?: SimQuirk[]) {
  return {
    delivered: await reachMessageThrough('delivered', quirks),
    failed: await reachMessageThrough('failed', quirks),
  };
}

type SmsbatObserved = Awaited<ReturnType<typeof smsbatObserved>>;
type ReachObserved = Awaited<ReturnType<typeof reachObserved>>;

const allNullBut = (o: Json, keep: string[]) =>
  Object.fromEntries(Object.keys(o).map((k) => [k, keep.includes(k) ? o[k] : null]));

// ---- each quirk, and what it must change ------------------------------------------------------------

const SMSBAT: [SimQuirk, (o: SmsbatObserved) => void][] = [
  [
    'smsbat-webhook-cost-null',
    ({ delivered, failed }) => {
      expect(delivered.webhooks.final).toMatchObject({ deliverystatus: 'delivered', cost: null });
      expect(failed.webhooks.final).toMatchObject({ cost: null });
      expect(delivered.webhooks.processing).toHaveProperty('cost', null);
    },
  ],
  [
    'smsbat-webhook-cost-string',
    ({ delivered, failed }) => {
      expect(delivered.webhooks.final.cost).toBe('0.03');
      expect(failed.webhooks.final.cost).toBe('0');
    },
  ],
  [
    'smsbat-webhook-zoneless-time',
    ({ delivered }) => {
      for (const hook of Object.values(delivered.webhooks)) {
        expect(hook.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
        // UTC meant: read as UTC, it is now.
        expect(Math.abs(Date.parse(`${hook.timestamp as string}Z`) - Date.now())).toBeLessThan(60_000);
      }
    },
  ],
  [
    'smsbat-status-nulls',
    ({ delivered }) => {
      expect(Object.keys(delivered.final).length).toBeGreaterThan(2);
      expect(delivered.final).toEqual(allNullBut(delivered.final, ['messageId', 'deliverystatus']));
      expect(delivered.final).toMatchObject({ messageId: delivered.sendAnswer.messageId, deliverystatus: 'delivered' });
      expect(delivered.early).toEqual({ deliverystatus: 'processing', partscount: null });
    },
  ],
  [
    'smsbat-status-strings',
    ({ delivered, failed }) => {
      expect(delivered.final).toMatchObject({
        messagelistId: expect.stringMatching(/^\d+$/),
        partscount: '1',
        cost: '0.03',
        rate: '0.03',
        rateAmount: '0.03',
        billAmount: '0.03',
        rateCurrency: 'USD',
      });
      expect(failed.final).toMatchObject({ cost: '0', partscount: '1' });
      expect(delivered.early).toEqual({ deliverystatus: 'processing', partscount: '1' });
    },
  ],
  [
    'smsbat-status-basic',
    ({ delivered, failed }) => {
      for (const { final } of [delivered, failed]) {
        expect(Object.keys(final).sort()).toEqual([
          'cost',
          'deliverystatus',
          'messageId',
          'messagelistId',
          'partscount',
        ]);
      }
    },
  ],
  [
    'status-case',
    ({ delivered, failed }) => {
      expect(delivered.webhooks.processing.deliverystatus).toBe('Processing');
      expect(delivered.webhooks.final.deliverystatus).toBe('Delivered');
      expect(failed.webhooks.final.deliverystatus).toBe('UNDELIVERABLE');
      expect(delivered.early.deliverystatus).toBe('Processing');
      expect(delivered.final.deliverystatus).toBe('Delivered');
      expect(failed.final.deliverystatus).toBe('UNDELIVERABLE');
    },
  ],
  [
    'unknown-fields',
    ({ delivered }) => {
      for (const body of [
        delivered.sendAnswer,
        delivered.early,
        delivered.final,
        delivered.webhooks.processing,
        delivered.webhooks.final,
      ]) {
        expect(body).toMatchObject(UNDOCUMENTED_JSON_FIELDS);
      }
    },
  ],
];

const REACH: [SimQuirk, (o: ReachObserved) => void][] = [
  [
    'reach-dlr-empty',
    ({ delivered, failed }) => {
      for (const params of [...delivered.callbacks, ...failed.callbacks]) expect(params.dlrDate).toBe('');
    },
  ],
  [
    'reach-dlr-12-digits',
    ({ delivered, failed }) => {
      for (const { callbacks } of [delivered, failed]) {
        expect(callbacks[2].dlrDate).toMatch(/^\d{12}$/);
        const [yy, mo, dd, hh, mi, ss] = callbacks[2].dlrDate.match(/\d\d/g)!.map(Number);
        const at = Date.UTC(2000 + yy, mo - 1, dd, hh, mi, ss);
        expect(Math.abs(at - Date.now())).toBeLessThan(60_000); // YYMMDDhhmmss, UTC
      }
    },
  ],
  [
    'reach-error-code-empty',
    ({ delivered, failed }) => {
      for (const params of [...delivered.callbacks, ...failed.callbacks]) {
        expect(params).toMatchObject({ errorCode: '', errorMessage: '' });
      }
    },
  ],
  [
    'reach-item-nulls',
    ({ delivered }) => {
      for (const item of [delivered.create, delivered.fetch, delivered.listItem]) {
        expect(Object.keys(item).length).toBeGreaterThan(2);
        expect(item).toEqual(allNullBut(item, ['messageId', 'status']));
      }
      expect(delivered.create).toMatchObject({ messageId: expect.stringMatching(/^MID/), status: 'queued' });
      expect(delivered.fetch).toMatchObject({ status: 'delivered' });
    },
  ],
  [
    'status-case',
    ({ delivered, failed }) => {
      expect(delivered.create.status).toBe('Queued');
      expect(delivered.callbacks.map((p) => p.status)).toEqual(['Queued', 'Sent', 'Delivered']);
      expect(failed.callbacks.map((p) => p.status)).toEqual(['Queued', 'Sent', 'UNDELIVERED']);
      expect([delivered.fetch.status, delivered.listItem.status, failed.fetch.status]).toEqual([
        'Delivered',
        'Delivered',
        'UNDELIVERED',
      ]);
    },
  ],
  [
    'unknown-fields',
    ({ delivered }) => {
      for (const params of delivered.callbacks) expect(params).toMatchObject(UNDOCUMENTED_FORM_FIELDS);
      for (const item of [delivered.create, delivered.fetch, delivered.listItem]) {
        expect(item).toMatchObject(UNDOCUMENTED_JSON_FIELDS);
      }
    },
  ],
];

describe.each([
  ['smsbat', SMSBAT, smsbatObserved],
  ['reach', REACH, reachObserved],
] as const)('%s', (provider, cases, observe) => {
  const check = (c: (o: never) => void, o: unknown) => c(o as never);

  test.each(cases)('%s shows up for the messages of a rule that carries it, and only for those', async (quirk, c) => {
    const withQuirk = await observe([quirk]);
    check(c, withQuirk);
    const without = await observe();
    expect(() => check(c, without)).toThrow();
  });

  test.each(cases)('%s set through POST /_sim/quirks shows up for every message, until reset', async (quirk, c) => {
    expect(await control(sim, 'quirks', { provider, quirks: [quirk] })).toEqual({ status: 204, json: undefined });
    check(c, await observe());
    expect(await control(sim, 'reset')).toMatchObject({ status: 204 });
    sim.setSmsbatWebhookUrl(`${capture.url}/smsbat`);
    const after = await observe();
    expect(() => check(c, after)).toThrow();
  });
});

describe('the quirk API', () => {
  test('sim.setQuirks applies to every message of that provider only', async () => {
    sim.setQuirks('reach', ['status-case']);
    const reach = await reachObserved();
    expect(reach.delivered.create.status).toBe('Queued');
    const smsbat = await smsbatObserved();
    expect(smsbat.delivered.final.deliverystatus).toBe('delivered');
    sim.setQuirks('reach', []);
    expect((await reachObserved()).delivered.create.status).toBe('queued');
  });

  test('a quirk set while a message is in flight changes what is sent about it from then on', async () => {
    const toPhone = phone('+38050');
    sim.script({ provider: 'smsbat', recipient: toPhone, outcome: { kind: 'pending' } });
    const messageId = ((await smsbatSend(sim, [smsbatMessage({ toPhone })])).json as Json[])[0].messageId as string;
    expect((await smsbatStatus(sim, messageId)).deliverystatus).toBe('processing');
    sim.setQuirks('smsbat', ['status-case']);
    expect((await smsbatStatus(sim, messageId)).deliverystatus).toBe('Processing');
  });

  test("the simulator's own record keeps the real status words", async () => {
    await smsbatObserved(['status-case']);
    expect(sim.messages('smsbat').map((m) => m.status)).toEqual(['delivered', 'undeliverable']);
  });

  test('the list envelope carries unknown fields when set for Reach', async () => {
    sim.setQuirks('reach', ['unknown-fields']);
    await reachPost(sim, 'create', { dest: phone('+23767'), src: 'MyShop', body: 'hi' });
    const listed = await reachGet(sim, 'list', {});
    expect(listed.json).toMatchObject({ page: 0, totalPages: 1, ...UNDOCUMENTED_JSON_FIELDS });
  });

  test('quirks are off by default', async () => {
    const smsbat = await smsbatObserved();
    expect(smsbat.delivered.webhooks.final).toEqual({
      messageId: smsbat.delivered.sendAnswer.messageId,
      deliverystatus: 'delivered',
      timestamp: expect.stringMatching(/Z$/),
      cost: 0.03,
    });
    const reach = await reachObserved();
    expect(reach.delivered.callbacks[2]).toEqual({
      status: 'delivered',
      messageId: reach.delivered.create.messageId,
      src: 'MyShop',
      dest: reach.delivered.create.dest,
      body: 'Your code is 1234',
      numSegments: '1',
      numMedia: '0',
      dlrDate: expect.stringMatching(/^\d{10}$/),
    });
  });

  test.each([
    [{ provider: 'smsbat', quirks: ['no-such-quirk'] }, /unknown quirk/],
    [{ provider: 'smsbat', quirks: ['reach-dlr-empty'] }, /not a smsbat quirk/],
    [{ provider: 'reach', quirks: ['smsbat-status-basic'] }, /not a reach quirk/],
    [{ provider: 'email', quirks: [] }, /smsbat or reach/],
    [{ provider: 'reach', quirks: 'status-case' }, /array/],
  ])('POST /_sim/quirks %j is refused with 400', async (body, why) => {
    const answer = await control(sim, 'quirks', body);
    expect(answer).toEqual({ status: 400, json: { error: expect.stringMatching(why) } });
  });

  test('a rule with an unknown quirk is refused, by script() and by POST /_sim/script', async () => {
    const rule = { provider: 'smsbat', outcome: { kind: 'deliver' }, quirks: ['no-such-quirk'] } as const;
    expect(() => sim.script(rule as never)).toThrow(/unknown quirk/);
    expect(await control(sim, 'script', rule)).toMatchObject({ status: 400 });
    expect(await control(sim, 'script', { ...rule, quirks: ['status-case'] })).toMatchObject({ status: 204 });
  });
});
