import { createHash } from 'node:crypto';
import { signReachCallback } from '../../src/sim/reach-signature';
import { SIM_CREDENTIALS, startSimulator, type Simulator } from '../../src/sim/server';
import { eventually, startCapture } from '../support/servers';
import { reachPost, signatureBySpec } from './raw';

/**
 * `X-Reach-Signature` (reach.md, "Signature"): the official libraries' test vectors, computed here
 * from the spec with node:crypto and reproduced by the simulator's signer; then the callbacks the
 * simulator really sends, checked against the same computation.
 */
const KEY = '12345';
const URL_AS_IS = 'https://mycompany.com/myapp.php?foo=1&bar=2';
const PARAMS = {
  CallSid: 'CA1234567890ABCDE',
  Caller: '+14158675309',
  Digits: '1234',
  From: '+14158675309',
  To: '+18005551212',
};
const JSON_BODY = '{"property": "value", "boolean": true}';
const BODY_HASH = '0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620';

describe('the official test vectors', () => {
  const vectors: [string, string, Record<string, string | string[]>, string][] = [
    ['the URL as is', URL_AS_IS, PARAMS, 'RSOYDt4T1cUTdK1PDd93/VVr8B8='],
    [
      'the URL with :443 inserted',
      'https://mycompany.com:443/myapp.php?foo=1&bar=2',
      PARAMS,
      'kvajT1Ptam85bY51eRf/AJRuM3w=',
    ],
    [
      'a parameter with several values',
      URL_AS_IS,
      { 'MessagingBinding.Address': ['+1325xxxxxxx', '+1415xxxxxxx'] },
      '83O6e2vORAoJHUNzJjDWN1jz+BA=',
    ],
    [
      'the same values in the other order',
      URL_AS_IS,
      { 'MessagingBinding.Address': ['+1415xxxxxxx', '+1325xxxxxxx'] },
      '83O6e2vORAoJHUNzJjDWN1jz+BA=',
    ],
    [
      'a JSON body: URL + bodySHA256, no parameters',
      `${URL_AS_IS}&bodySHA256=${BODY_HASH}`,
      {},
      'a9nBmqA0ju/hNViExpshrM61xv4=',
    ],
  ];

  test.each(vectors)('computed from the spec: %s', (_case, url, params, expected) => {
    expect(signatureBySpec(KEY, url, params)).toBe(expected);
  });

  test.each(vectors)("the simulator's signer reproduces it: %s", (_case, url, params, expected) => {
    expect(signReachCallback(KEY, url, params)).toBe(expected);
  });

  test('the URL with .com:1234 signs, once its port is stripped, as the URL as is', () => {
    const stripped = 'https://mycompany.com:1234/myapp.php?foo=1&bar=2'.replace(':1234', '');
    expect(signatureBySpec(KEY, stripped, PARAMS)).toBe('RSOYDt4T1cUTdK1PDd93/VVr8B8=');
    expect(signReachCallback(KEY, stripped, PARAMS)).toBe('RSOYDt4T1cUTdK1PDd93/VVr8B8=');
  });

  test("the JSON body's sha256", () => {
    expect(createHash('sha256').update(JSON_BODY, 'utf8').digest('hex')).toBe(BODY_HASH);
  });

  test('a value repeated is counted once', () => {
    const twice = { 'MessagingBinding.Address': ['+1325xxxxxxx', '+1415xxxxxxx', '+1325xxxxxxx'] };
    expect(signReachCallback(KEY, URL_AS_IS, twice)).toBe('83O6e2vORAoJHUNzJjDWN1jz+BA=');
  });
});

describe('the callbacks the simulator sends', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ smtpPort: false, deliveryDelayMs: 0 });
  });
  afterAll(() => sim.close());
  beforeEach(() => sim.reset());

  test('every callback is signed with the API key over the exact URL given and the parameters sent', async () => {
    const capture = await startCapture();
    try {
      // A query string with an escaped space and an underscore: signed byte for byte as given.
      const statusCallback = `${capture.url}/reach/status?wf=order_1&x=a%20b`;
      const created = await reachPost(sim, 'create', {
        dest: '+237671234567',
        src: 'MyShop',
        body: 'Code 1234 — valid 5 min', // a UCS-2 body: non-ASCII bytes in the signed data
        bulkIdentifier: 'otp',
        statusCallback,
      });
      expect(created.status).toBe(200);
      await eventually(() => (capture.received.length >= 3 ? true : undefined));
      for (const received of capture.received) {
        expect(received.url).toBe('/reach/status?wf=order_1&x=a%20b');
        const params = Object.fromEntries(new URLSearchParams(received.body));
        const signature = received.headers['x-reach-signature'];
        expect(signature).toBe(signatureBySpec(SIM_CREDENTIALS.reach.apiKey, statusCallback, params));
        expect(signature).not.toBe(signatureBySpec('another-key', statusCallback, params));
      }
      expect(capture.received.map((r) => new URLSearchParams(r.body).get('status')).sort()).toEqual([
        'delivered',
        'queued',
        'sent',
      ]);
    } finally {
      await capture.close();
    }
  });
});
