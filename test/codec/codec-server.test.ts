import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { connect } from 'node:net';
import { request } from 'undici';
import { EncryptionCodec } from '../../src/codec/encryption-codec';
import { parseKeyRing } from '../../src/codec/keys';
import { CodecServer } from '../../src/codec/server';

const UI = 'http://localhost:8233';

describe('codec server (what the Web UI calls)', () => {
  const codec = new EncryptionCodec(parseKeyRing(`k1:${randomBytes(32).toString('base64')}`));
  let server: CodecServer;
  beforeAll(async () => {
    server = await new CodecServer({
      codec,
      allowOrigins: [UI],
      token: 'operator-token',
      maxBodyBytes: 10_000,
    }).start();
  });
  afterAll(() => server.close());

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    request(`${server.url}${path}`, {
      method: 'POST',
      body: typeof body === 'string' ? body : JSON.stringify(body),
      headers: { 'content-type': 'application/json', origin: UI, 'x-namespace': 'default', ...headers },
    });

  test('answers the browser preflight for the UI origin only', async () => {
    const ok = await request(`${server.url}/decode`, {
      method: 'OPTIONS',
      headers: {
        origin: UI,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-namespace',
      },
    });
    expect(ok.statusCode).toBe(204);
    expect(ok.headers['access-control-allow-origin']).toBe(UI);
    expect(String(ok.headers['access-control-allow-headers'])).toContain('x-namespace');
    const other = await request(`${server.url}/decode`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example' },
    });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  test('decodes what the workers encrypted, for a bearer of the token', async () => {
    const [encrypted] = await codec.encode([defaultPayloadConverter.toPayload({ phone: '+380501234567' })]);
    const wire = {
      payloads: [
        {
          metadata: Object.fromEntries(
            Object.entries(encrypted.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
          ),
          data: Buffer.from(encrypted.data!).toString('base64'),
        },
      ],
    };
    const res = await post('/decode', wire, { authorization: 'Bearer operator-token' });
    expect(res.statusCode).toBe(200);
    const { payloads } = (await res.body.json()) as { payloads: { data: string }[] };
    expect(JSON.parse(Buffer.from(payloads[0].data, 'base64').toString('utf8'))).toEqual({ phone: '+380501234567' });

    const encoded = await post(
      '/encode',
      { payloads: [{ metadata: {}, data: Buffer.from('"x"').toString('base64') }] },
      { authorization: 'Bearer operator-token' },
    );
    expect(encoded.statusCode).toBe(200);
  });

  test('refuses a missing token, malformed bodies and oversized ones', async () => {
    expect((await post('/decode', { payloads: [] })).statusCode).toBe(401);
    const auth = { authorization: 'Bearer operator-token' };
    expect((await post('/decode', '{nope', auth)).statusCode).toBe(400);
    expect((await post('/decode', { nothing: true }, auth)).statusCode).toBe(400);
    expect((await post('/decode', 'x'.repeat(20_000), auth)).statusCode).toBe(413);
    expect((await post('/other', {}, auth)).statusCode).toBe(404);
  });
  test('a request from an origin that is not the UI is refused outright (403), not just left without CORS headers', async () => {
    const res = await post(
      '/decode',
      { payloads: [] },
      { origin: 'https://evil.example', authorization: 'Bearer operator-token' },
    );
    expect(res.statusCode).toBe(403);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(await res.body.text()).not.toContain('payloads');
  });

  test('a Host it does not serve (DNS rebinding) gets 421, the token notwithstanding', async () => {
    const res = await post(
      '/decode',
      { payloads: [] },
      { host: 'rebind.attacker.example', authorization: 'Bearer operator-token' },
    );
    expect(res.statusCode).toBe(421);
  });

  test('without a token it listens on loopback only, and says so', async () => {
    const open = new CodecServer({ codec, allowOrigins: [UI] });
    await expect(open.start(0, '0.0.0.0')).rejects.toThrow(/CODEC_SERVER_TOKEN/);
    await open.start(0, '127.0.0.1');
    expect(open.protectedByToken).toBe(false);
    await open.close();
  });

  test('a stalled upload is cut by the request timeout', async () => {
    const slow = await new CodecServer({
      codec,
      allowOrigins: [UI],
      token: 'operator-token',
      timeouts: { requestMs: 400, headersMs: 400, checkEveryMs: 100 },
    }).start();
    try {
      const { port } = new URL(slow.url);
      const socket = connect(Number(port), '127.0.0.1');
      const started = Date.now();
      socket.write('POST /decode HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer operator-token\r\n');
      socket.write('Content-Type: application/json\r\nContent-Length: 4000000\r\n\r\n{"payl');
      let answer = '';
      socket.on('data', (d: Buffer) => (answer += d.toString()));
      await new Promise<void>((resolve) => socket.on('close', () => resolve()));
      // 400 ms configured; the default would hold it 15 s. The margin is for a busy machine.
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      await slow.close();
    }
  });
});
