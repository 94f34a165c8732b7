import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CONFIG_ENV_KEYS, loadConfig } from '../../src/config';
import { SEARCH_ATTRIBUTES } from '../../src/shared/search-attributes';

// No Docker engine runs here: the compose file is checked by parsing it against the config schema.
const root = join(__dirname, '..', '..');
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as {
  services: Record<
    string,
    {
      image?: string;
      build?: unknown;
      ports?: string[];
      environment?: Record<string, string>;
      env_file?: string;
      command?: unknown;
      depends_on?: unknown;
    }
  >;
};
const envExample = Object.fromEntries(
  readFileSync(join(root, '.env.example'), 'utf8')
    .split('\n')
    .filter((l) => /^[A-Z_]+=/.test(l))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
);

describe('docker-compose.yml', () => {
  test('runs Temporal on PostgreSQL, the Web UI, the worker and the webhook receiver', () => {
    const s = compose.services;
    expect(Object.keys(s)).toEqual(
      expect.arrayContaining(['postgresql', 'temporal', 'temporal-ui', 'worker', 'webhooks']),
    );
    expect(s.postgresql.image).toMatch(/^postgres:/);
    expect(s.temporal.environment).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: 'postgresql' });
    expect(s.temporal.ports).toContain('7233:7233');
    expect(s['temporal-ui'].ports).toContain('8080:8080');
    expect(s['temporal-ui'].environment?.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(s.worker.build).toBeDefined();
  });

  test('the worker and the receiver get only variables the config schema knows, and valid ones', () => {
    for (const name of ['worker', 'webhooks']) {
      const svc = compose.services[name];
      expect(svc.env_file).toBe('.env');
      const env = { ...envExample, ...svc.environment };
      const known = new Set<string>(CONFIG_ENV_KEYS);
      expect(Object.keys(env).filter((k) => !known.has(k))).toEqual([]);
      const keys = { CASCADE_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}` };
      expect(() => loadConfig({ ...env, ...keys, CASCADE_OTP_SECRET: randomBytes(32).toString('hex') })).not.toThrow();
      expect(loadConfig({ ...env, ...keys }).temporal.address).toBe('temporal:7233');
    }
  });

  test('.env.example lists every variable the configuration reads', () => {
    const documented = readFileSync(join(root, '.env.example'), 'utf8');
    for (const key of CONFIG_ENV_KEYS) expect(documented).toContain(key);
  });

  test('the search attributes the workflows set are registered', () => {
    const command = JSON.stringify(compose.services['temporal-admin'].command);
    for (const key of SEARCH_ATTRIBUTES) expect(command).toContain(`--name ${key.name} --type Keyword`);
  });
});
