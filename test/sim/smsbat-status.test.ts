import { startSimulator, type Simulator } from '../../src/sim/server';
import { eventually, startCapture } from '../support/servers';
import { smsbatSendOne, smsbatStatus } from './raw';

/**
 * SMSBAT's status answers (smsbat.md §2): the basic and the extended form, parts and cost, and
 * the end of a message whose `ttl` runs out (§1), all read with raw HTTP.
 */
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
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const keys = (o: object) => Object.keys(o).sort();

let n = 0;
const phone = () => `+38050${1_000_001 + ++n * 10}`; // ends in 1: no built-in outcome

async function startedWith(options: Parameters<typeof startSimulator>[0]): Promise<Simulator> {
  return startSimulator({ smtpPort: false, deliveryDelayMs: 0, ...options });
}

describe('basic and extended answers', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startedWith({});
  });
  afterAll(() => sim.close());
  beforeEach(() => sim.reset());

  test('by default (a fallback configured) the final answer is the extended form', async () => {
    const status = await smsbatStatus(sim, await smsbatSendOne(sim, { toPhone: phone() }));
    expect(keys(status)).toEqual([...EXTENDED_FIELDS].sort());
  });

  test('without a fallback configured (extendedStatus: false) the final answer is the basic form', async () => {
    const basicSim = await startedWith({ smsbat: { extendedStatus: false } });
    try {
      const messageId = await smsbatSendOne(basicSim, { toPhone: phone() });
      const status = await smsbatStatus(basicSim, messageId);
      expect(status).toEqual({
        messagelistId: expect.any(Number),
        messageId,
        deliverystatus: 'delivered',
        partscount: 1,
        cost: 0.03,
      });
    } finally {
      await basicSim.close();
    }
  });

  test('early states keep the short form in both', async () => {
    const basicSim = await startedWith({ smsbat: { extendedStatus: false } });
    try {
      for (const s of [sim, basicSim]) {
        s.script({ provider: 'smsbat', outcome: { kind: 'pending' } });
        const status = await smsbatStatus(s, await smsbatSendOne(s, { toPhone: phone() }));
        expect(status).toEqual({ deliverystatus: 'processing', partscount: 1 });
      }
    } finally {
      await basicSim.close();
    }
  });
});

describe('parts and cost', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startedWith({});
  });
  afterAll(() => sim.close());
  beforeEach(() => sim.reset());

  test.each([
    ['160 × x', 'x'.repeat(160), 1],
    ['161 × x', 'x'.repeat(161), 2],
    ['306 × x', 'x'.repeat(306), 2],
    ['307 × x', 'x'.repeat(307), 3],
    ['80 × {', '{'.repeat(80), 1], // extension characters take two septets each
    ['81 × {', '{'.repeat(81), 2],
    ['70 × ї', 'ї'.repeat(70), 1],
    ['71 × ї', 'ї'.repeat(71), 2],
    ['134 × ї', 'ї'.repeat(134), 2],
    ['135 × ї', 'ї'.repeat(135), 3],
  ])(
    'partscount from the text (GSM-7 160 in one, 153 per part; UCS-2 70 and 67): %s is %d',
    async (_label, text, parts) => {
      sim.script({ provider: 'smsbat', outcome: { kind: 'pending' }, times: 1 });
      const messageId = await smsbatSendOne(sim, { toPhone: phone(), text });
      expect(await smsbatStatus(sim, messageId)).toEqual({ deliverystatus: 'processing', partscount: parts });
      sim.settle('smsbat', messageId, 'delivered');
      expect(await smsbatStatus(sim, messageId)).toMatchObject({ partscount: parts });
    },
  );

  test('a flashcall has one part', async () => {
    const messageId = await smsbatSendOne(sim, { toPhone: phone(), messageType: 'flashcall', text: undefined });
    expect(await smsbatStatus(sim, messageId)).toMatchObject({ partscount: 1 });
  });

  test('cost is the price of a part on the delivering channel × parts; bill is the cost, rate one part', async () => {
    sim.script({ provider: 'smsbat', outcome: { kind: 'deliver', channel: 'sms' } });
    const messageId = await smsbatSendOne(sim, { toPhone: phone(), text: 'x'.repeat(307) });
    expect(await smsbatStatus(sim, messageId)).toMatchObject({
      partscount: 3,
      cost: 0.15,
      billAmount: 0.15,
      rate: 0.05,
      rateAmount: 0.05,
      extendedStatuses: { sms: 'delivered' },
    });
  });

  test('viber (the default channel): two parts at 0.03', async () => {
    const messageId = await smsbatSendOne(sim, { toPhone: phone(), text: 'ї'.repeat(71) });
    expect(await smsbatStatus(sim, messageId)).toMatchObject({ partscount: 2, cost: 0.06 });
  });

  test("a scripted cost is the message's total, whatever its parts", async () => {
    sim.script({ provider: 'smsbat', outcome: { kind: 'deliver', cost: 0.07 } });
    const messageId = await smsbatSendOne(sim, { toPhone: phone(), text: 'x'.repeat(307) });
    expect(await smsbatStatus(sim, messageId)).toMatchObject({ partscount: 3, cost: 0.07, billAmount: 0.07 });
  });

  test('a failed message costs 0 whatever its parts', async () => {
    const messageId = await smsbatSendOne(sim, { toPhone: '+380501234998', text: 'x'.repeat(307) });
    expect(await smsbatStatus(sim, messageId)).toMatchObject({
      deliverystatus: 'undeliverable',
      partscount: 3,
      cost: 0,
      billAmount: 0,
    });
  });
});

describe('ttl', () => {
  let sim: Simulator;
  let capture: Awaited<ReturnType<typeof startCapture>>;
  beforeAll(async () => {
    sim = await startedWith({});
    capture = await startCapture();
  });
  afterAll(async () => {
    await sim.close();
    await capture.close();
  });
  beforeEach(() => {
    sim.reset();
    capture.received.length = 0;
    sim.setSmsbatWebhookUrl(`${capture.url}/hook`);
  });
  const webhooksOf = (messageId: string) =>
    capture.received.map((r) => JSON.parse(r.body) as Record<string, unknown>).filter((b) => b.messageId === messageId);

  test('a message not final when its ttl runs out ends undeliverable, cost 0, and its webhook is sent', async () => {
    sim.script({ provider: 'smsbat', outcome: { kind: 'deliver', afterMs: 2000 } });
    const messageId = await smsbatSendOne(sim, { toPhone: phone(), ttl: 1 });
    expect(await smsbatStatus(sim, messageId)).toMatchObject({ deliverystatus: 'processing' });

    const expired = await eventually(() => webhooksOf(messageId).find((b) => b.deliverystatus === 'undeliverable'));
    expect(expired).toMatchObject({ cost: 0 });
    expect(await smsbatStatus(sim, messageId)).toMatchObject({ deliverystatus: 'undeliverable', cost: 0 });

    await sleep(1200); // past the outcome's own delivery time: the expiry stands
    expect(await smsbatStatus(sim, messageId)).toMatchObject({ deliverystatus: 'undeliverable' });
    expect(webhooksOf(messageId).map((b) => b.deliverystatus)).toEqual(['processing', 'undeliverable']);
  });

  test('a pending message (the provider never reports) also ends at its ttl', async () => {
    sim.script({ provider: 'smsbat', outcome: { kind: 'pending' } });
    const messageId = await smsbatSendOne(sim, { toPhone: phone(), ttl: 1 });
    await eventually(() => webhooksOf(messageId).find((b) => b.deliverystatus === 'undeliverable'));
    expect(await smsbatStatus(sim, messageId)).toMatchObject({ deliverystatus: 'undeliverable', cost: 0 });
  });

  test('a message delivered within its ttl stays delivered', async () => {
    sim.script({ provider: 'smsbat', outcome: { kind: 'deliver', afterMs: 100 } });
    const messageId = await smsbatSendOne(sim, { toPhone: phone(), ttl: 1 });
    await sleep(1300);
    expect(await smsbatStatus(sim, messageId)).toMatchObject({ deliverystatus: 'delivered', cost: 0.03 });
  });

  test('the ttl counts from when sending starts, not from the request', async () => {
    sim.script({ provider: 'smsbat', outcome: { kind: 'deliver', afterMs: 800 } });
    const scheduledSent = new Date(Date.now() + 1500).toISOString();
    const messageId = await smsbatSendOne(sim, { toPhone: phone(), ttl: 1, scheduledSent });
    await sleep(1200); // a ttl counted from the request would have ended it by now
    expect(await smsbatStatus(sim, messageId)).toMatchObject({ deliverystatus: 'scheduled' });
    await eventually(() => webhooksOf(messageId).find((b) => b.deliverystatus === 'delivered'));
  });
});
