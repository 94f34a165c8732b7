import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { request } from 'undici';
import { exampleRequests, quickstart, type QuickstartTarget, toCurl } from '../../src/sim/quickstart';
import { SIM_CREDENTIALS, startSimulator, type Simulator } from '../../src/sim/server';

/**
 * What `npm run sim` prints (scripts/sim.ts): every credential the simulator accepts, and curl
 * examples that work as pasted.
 */
const run = promisify(execFile);

let sim: Simulator;
let target: QuickstartTarget;
beforeAll(async () => {
  sim = await startSimulator({ smtpPort: false, deliveryDelayMs: 0 });
  target = { url: sim.url, smsbat: sim.smsbatConfig, reach: sim.reachConfig };
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

test('the banner names every credential the simulator accepts', () => {
  const text = quickstart(target);
  const { smsbat, reach } = SIM_CREDENTIALS;
  for (const value of [smsbat.apiKey, smsbat.viberToken, smsbat.tgBotKey, reach.apiUser, reach.apiKey]) {
    expect(text).toContain(value);
  }
  expect(text).toContain(`'${smsbat.username}:${smsbat.password}'`);
  expect(text).toContain(`'@:${smsbat.apiKey}'`);
});

test('credentials the simulator was started with are the ones printed', async () => {
  const own = await startSimulator({ smtpPort: false, smsbat: { apiKey: "k'ey" }, reach: { apiKey: 'r-key' } });
  try {
    const text = quickstart({ url: own.url, smsbat: own.smsbatConfig, reach: own.reachConfig });
    expect(text).toContain(`X-Authorization-Key: k'\\''ey`); // shell-quoted
    expect(text).toContain('ApiKey: r-key');
    expect(text).not.toContain(SIM_CREDENTIALS.smsbat.apiKey);
  } finally {
    await own.close();
  }
});

test('the example SMSBAT send and Reach create are accepted', async () => {
  const { smsbatSend, reachCreate } = exampleRequests(target);
  const sent = await request(smsbatSend.url, {
    method: 'POST',
    headers: Object.fromEntries(smsbatSend.headers),
    body: smsbatSend.json,
  });
  expect(sent.statusCode).toBe(200);
  expect(await sent.body.json()).toEqual([{ messageId: expect.any(String), trackinId: 'tx-001' }]);

  const created = await request(reachCreate.url, {
    method: 'POST',
    headers: { ...Object.fromEntries(reachCreate.headers), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(reachCreate.form).toString(),
  });
  expect(created.statusCode).toBe(200);
  expect(await created.body.json()).toMatchObject({ status: 'queued', dest: '+237671234567' });
});

const curl = existsSync('/usr/bin/curl') || existsSync('/usr/local/bin/curl') ? test : test.skip;

curl('the printed curl lines, pasted into a shell, are answered 200', async () => {
  const lines = quickstart(target)
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('curl -X POST'));
  expect(lines).toEqual(Object.values(exampleRequests(target)).map(toCurl));
  for (const line of lines) {
    const { stdout } = await run('bash', ['-c', `${line} -s -o /dev/null -w '%{http_code}'`]);
    expect(stdout).toBe('200');
  }
  expect(sim.messages().map((m) => m.provider)).toEqual(['smsbat', 'reach']);
});
