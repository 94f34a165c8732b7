import { request } from 'undici';
import { startSimulator, type Simulator } from '../../src/sim/server';
import { eventually, startCapture } from '../support/servers';
import { SMSBAT_SEND, smsbatMessage, smsbatSend, smsbatSendOne, smsbatStatus } from './raw';

/** The named provider conditions outage drills use (`setOutage`), read with raw HTTP. */
describe('simulator outages', () => {
  let sim: Simulator;
  let n = 0;
  const phone = () => `+38050${1_000_001 + ++n * 10}`; // ends in 1: no built-in outcome

  beforeAll(async () => {
    sim = await startSimulator({ smtpPort: false, deliveryDelayMs: 0 });
  });
  afterAll(() => sim.close());
  afterEach(() => sim.reset());

  test('errors: every request is answered 5xx; healthy again answers 200', async () => {
    sim.setOutage('smsbat', 'errors');
    const answers = await Promise.all(Array.from({ length: 10 }, () => smsbatSend(sim, [smsbatMessage()])));
    expect(answers.every((a) => a.status >= 500)).toBe(true);
    sim.setOutage('smsbat', 'healthy');
    expect((await smsbatSend(sim, [smsbatMessage()])).status).toBe(200);
  });

  test('hang: the connection is accepted and never answered', async () => {
    sim.setOutage('smsbat', 'hang');
    const sent = request(`${sim.url}${SMSBAT_SEND}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([smsbatMessage()]),
      headersTimeout: 500,
    });
    await expect(sent).rejects.toMatchObject({ code: 'UND_ERR_HEADERS_TIMEOUT' });
    expect(sim.requests('smsbat')).toHaveLength(1);
  });

  test('silent: messages are accepted and never settle, and no receipt is sent', async () => {
    const capture = await startCapture();
    try {
      sim.setSmsbatWebhookUrl(`${capture.url}/hook`);
      sim.setOutage('smsbat', 'silent');
      const silent = await smsbatSendOne(sim, { toPhone: phone() });
      // A message sent after it, healthy again, settles and its receipt comes: the silent one's would have come first.
      sim.setOutage('smsbat', 'healthy');
      const healthy = await smsbatSendOne(sim, { toPhone: phone() });
      await eventually(() => (capture.received.some((r) => r.body.includes(healthy)) ? true : undefined));
      expect(capture.received.filter((r) => r.body.includes(silent))).toHaveLength(0);
      expect((await smsbatStatus(sim, silent)).deliverystatus).not.toMatch(/delivered|undeliverable/i);
    } finally {
      await capture.close();
    }
  });

  test('noise: a few percent of requests fail and a few percent of messages fail', async () => {
    sim.setOutage('smsbat', 'noise');
    const answers = [];
    for (let i = 0; i < 400; i++) answers.push(await smsbatSend(sim, [smsbatMessage({ toPhone: phone() })]));
    const errors = answers.filter((a) => a.status >= 500).length;
    expect(errors).toBeGreaterThan(5);
    expect(errors).toBeLessThan(40);
    const final = (m: { status: string }) => m.status === 'delivered' || m.status === 'undeliverable';
    await eventually(() => (sim.messages('smsbat').every(final) ? true : undefined));
    const failed = sim.messages('smsbat').filter((m) => m.status === 'undeliverable').length;
    expect(failed).toBeGreaterThan(0);
    expect(failed).toBeLessThan(30);
  });

  test('an unknown outage is refused by the control API', async () => {
    const res = await request(`${sim.url}/_sim/outage`, {
      method: 'POST',
      body: JSON.stringify({ provider: 'smsbat', outage: 'meltdown' }),
    });
    expect(res.statusCode).toBe(400);
    await res.body.dump();
  });
});
