import { randomBytes } from 'node:crypto';
import { ConfigError, loadConfig } from '../src/config';

describe('loadConfig', () => {
  test('defaults: local Temporal, the project task queue, no providers offered', () => {
    const c = loadConfig({ CASCADE_ENCRYPTION: 'off' });
    expect(c.temporal).toMatchObject({
      address: '127.0.0.1:7233',
      namespace: 'default',
      taskQueue: 'temporal-cascade',
    });
    expect(c.smsbat).toBeUndefined();
    expect(c.reach).toBeUndefined();
    expect(c.email).toBeUndefined();
  });

  test('a provider is offered once its credentials are present', () => {
    const c = loadConfig({
      CASCADE_ENCRYPTION: 'off',
      SMSBAT_API_KEY: 'k',
      REACH_API_USER: 'u',
      REACH_API_KEY: 'r',
      SMTP_URL: 'smtp://mail.example.com:25',
      SMTP_FROM: 'noreply@example.com',
    });
    expect(c.smsbat).toMatchObject({ baseUrl: 'https://restapi.smsbat.com', apiKey: 'k' });
    expect(c.reach).toEqual({ baseUrl: 'https://api.reach.talkylabs.com', apiUser: 'u', apiKey: 'r' });
    expect(c.email).toEqual({ url: 'smtp://mail.example.com:25', from: 'noreply@example.com' });
  });

  test('SMSBAT with username and password (status checks) and a bot key (sends)', () => {
    const c = loadConfig({
      CASCADE_ENCRYPTION: 'off',
      SMSBAT_USERNAME: 'u',
      SMSBAT_PASSWORD: 'p',
      SMSBAT_VIBER_TOKEN: 'v',
    });
    expect(c.smsbat).toMatchObject({ username: 'u', password: 'p', viberToken: 'v' });
  });

  test('every problem is listed in one error', () => {
    let error: unknown;
    try {
      loadConfig({
        SMSBAT_BASE_URL: 'not a url',
        SMTP_URL: 'http://mail.example.com',
        PROVIDER_TIMEOUT_MS: '-5',
        CASCADE_OTP_SECRET: 'short',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/SMSBAT_BASE_URL/);
    expect(problems).toMatch(/SMTP_URL/);
    expect(problems).toMatch(/PROVIDER_TIMEOUT_MS/);
    expect(problems).toMatch(/CASCADE_OTP_SECRET/);
  });

  test('the worker cache size: a whole number, or the SDK default when empty', () => {
    const off = { CASCADE_ENCRYPTION: 'off' };
    expect(loadConfig({ ...off, CASCADE_MAX_CACHED_WORKFLOWS: '250' }).worker.maxCachedWorkflows).toBe(250);
    expect(loadConfig({ ...off, CASCADE_MAX_CACHED_WORKFLOWS: '' }).worker.maxCachedWorkflows).toBeUndefined();
    expect(() => loadConfig({ ...off, CASCADE_MAX_CACHED_WORKFLOWS: '1e3' })).toThrow(/CASCADE_MAX_CACHED_WORKFLOWS/);
  });

  test('half-configured credentials are an error, not a silently missing provider', () => {
    expect(() => loadConfig({ REACH_API_USER: 'u' })).toThrow(/REACH_API_USER and REACH_API_KEY/);
    expect(() => loadConfig({ SMSBAT_USERNAME: 'u' })).toThrow(/SMSBAT_USERNAME and SMSBAT_PASSWORD/);
  });

  test('payload encryption is on unless explicitly turned off', () => {
    expect(() => loadConfig({})).toThrow(/CASCADE_ENCRYPTION=off/);
    expect(loadConfig({ CASCADE_ENCRYPTION: 'off' }).encryption).toBeUndefined();
    const key = `k1:${randomBytes(32).toString('base64')}`;
    expect(loadConfig({ CASCADE_ENCRYPTION_KEYS: key }).encryption?.currentId).toBe('k1');
  });
  test('hand-made secrets and keys are refused, whatever their length, naming the variable', () => {
    const off = { CASCADE_ENCRYPTION: 'off' };
    expect(() => loadConfig({ ...off, CASCADE_OTP_SECRET: 'a'.repeat(32) })).toThrow(/CASCADE_OTP_SECRET: .*hand-made/);
    expect(() => loadConfig({ ...off, CASCADE_OTP_SECRET: 'ab'.repeat(32) })).toThrow(/CASCADE_OTP_SECRET/);
    expect(() => loadConfig({ ...off, CASCADE_SMSBAT_WEBHOOK_TOKEN: 'a'.repeat(16) })).toThrow(
      /CASCADE_SMSBAT_WEBHOOK_TOKEN: .*hand-made/,
    );
    const zeros = `k1:${Buffer.alloc(32).toString('base64')}`;
    expect(() => loadConfig({ CASCADE_ENCRYPTION_KEYS: zeros })).toThrow(
      /CASCADE_ENCRYPTION_KEYS: key 1 of 1 looks hand-made/,
    );
    // Generated ones pass.
    expect(
      loadConfig({
        ...off,
        CASCADE_OTP_SECRET: randomBytes(32).toString('hex'),
        CASCADE_SMSBAT_WEBHOOK_TOKEN: randomBytes(16).toString('hex'),
      }).otpSecret,
    ).toBeDefined();
  });

  test('key material is never echoed in a configuration error', () => {
    const material = randomBytes(32).toString('base64');
    for (const keys of [`${material}:k1`, `k1:${material.slice(0, 20)}`, `k1:${material},k1:${material}`, material]) {
      let message = '';
      try {
        loadConfig({ CASCADE_ENCRYPTION_KEYS: keys });
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        message = `${(err as Error).message} ${JSON.stringify(err)}`;
      }
      expect(message).toMatch(/CASCADE_ENCRYPTION_KEYS/);
      expect(message).not.toContain(material.slice(0, 12));
    }
  });
});
