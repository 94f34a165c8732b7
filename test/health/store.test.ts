import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { ProviderHealth, type ProviderHealthOptions } from '../../src/health/health';
import { MemoryHealthData } from '../../src/health/memory';
import { openHealthStore } from '../../src/health/open';
import { emptyCounts, type HealthCounts, type HealthStore } from '../../src/health/types';
import { openReceiptIndex } from '../../src/receipts/open';
import { startPostgres, type TestPostgres } from '../support/postgres';

/**
 * The behaviour every provider-health backend shows, each against a real store: memory, a SQLite
 * file, a PostgreSQL database. `newStore()` makes an empty store and returns an opener of further
 * connections to it (another process, another host).
 */
type NewStore = () => Promise<() => Promise<HealthStore>>;

const T0 = Date.UTC(2030, 0, 1);
const KEYS = ['smsbat', 'smsbat/standard', 'smsbat/standard/+380'];

function counts(patch: Partial<HealthCounts>): HealthCounts {
  return { ...emptyCounts(), ...patch };
}

function describeHealthContract(name: string, newStore: NewStore): void {
  describe(name, () => {
    let clock = T0;
    let lines: Record<string, unknown>[] = [];
    const opened: ProviderHealth[] = [];
    const health = async (connect: () => Promise<HealthStore>, options: ProviderHealthOptions = {}) => {
      const h = new ProviderHealth(await connect(), {
        now: () => clock,
        autoFlush: false,
        log: (line) => lines.push(line),
        ...options,
      });
      opened.push(h);
      return h;
    };
    beforeEach(() => {
      clock = T0;
      lines = [];
    });
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((h) => h.close()));
    });

    /** `n` flows' first send attempts, `errors` of them failing. */
    const sends = (h: ProviderHealth, n: number, errors: number, pushed = false) => {
      for (let i = 0; i < n; i++) h.sendOutcome(KEYS, 1, i < errors ? 'error' : 'ok', pushed);
    };

    it('adds counts per key and bucket across connections, and prunes old buckets', async () => {
      const connect = await newStore();
      const [a, b] = [await connect(), await connect()];
      await a.record(T0, new Map([['smsbat', counts({ attempts: 2, errors: 1 })]]));
      await b.record(T0, new Map([['smsbat', counts({ attempts: 3, delivered: 4 })]]));
      await b.record(T0 + 5000, new Map([['reach', counts({ ok: 1 })]]));
      const buckets = await a.buckets(T0);
      expect(buckets.find((x) => x.key === 'smsbat')).toMatchObject({
        start: T0,
        attempts: 5,
        errors: 1,
        delivered: 4,
      });
      expect(await a.prune(T0 + 1)).toBe(1);
      expect((await b.buckets(0)).map((x) => x.key)).toEqual(['reach']);
      await Promise.all([a.close(), b.close()]);
    });

    it('writes a transition only from the version it was decided on', async () => {
      const connect = await newStore();
      const [a, b] = [await connect(), await connect()];
      const base = { key: 'reach', mode: 'auto' as const, since: T0, probesLeft: 0 };
      const probe = { ok: 0, errors: 0, delivered: 0, failed: 0 };
      const first = { ...base, state: 'open' as const, probe, version: 1 };
      expect(await a.write(first)).toBe(true);
      expect(await b.write(first)).toBe(false);
      expect(await b.write({ ...first, state: 'half_open', probesLeft: 2, version: 2 })).toBe(true);
      expect(await a.write({ ...first, state: 'closed', version: 2 })).toBe(false);
      expect(await a.breakers()).toEqual([expect.objectContaining({ key: 'reach', state: 'half_open', version: 2 })]);
      // Probes: bounded, and only while half-open; outcomes recorded meanwhile count as its probes.
      expect([await a.takeProbe('reach'), await b.takeProbe('reach'), await a.takeProbe('reach')]).toEqual([
        true,
        true,
        false,
      ]);
      await b.record(T0, new Map([['reach', counts({ ok: 1, delivered: 2, errors: 1 })]]));
      expect((await a.breakers())[0].probe).toEqual({ ok: 1, errors: 1, delivered: 2, failed: 0 });
      expect(await a.takeProbe('smsbat')).toBe(false);
      await Promise.all([a.close(), b.close()]);
    });

    it('closed → open on send errors of many flows; one flow retrying never opens it', async () => {
      const h = await health(await newStore());
      for (let attempt = 1; attempt <= 6; attempt++) h.sendOutcome(KEYS, attempt, 'error');
      await h.flush();
      expect(await h.decide(KEYS, true)).toEqual({ send: true });
      sends(h, 10, 8);
      await h.flush();
      expect(await h.decide(KEYS, true)).toMatchObject({ send: false, key: 'smsbat', state: 'open' });
      const changes = lines.filter((l) => l.event === 'provider_health').map((l) => `${l.key} ${l.from}→${l.to}`);
      expect(changes.sort()).toEqual(KEYS.map((k) => `${k} closed→open`).sort());
      expect(h.metrics().stateChanges).toMatchObject({ 'smsbat closed→open': 1 });
    });

    it('a breaker handed back mid-bucket counts the flows sent right after it', async () => {
      const h = await health(await newStore());
      clock += 2500;
      await h.force('smsbat', 'auto', 'test');
      sends(h, 12, 12);
      await h.flush();
      expect(await h.decide(KEYS, true)).toMatchObject({ send: false, key: 'smsbat' });
    });

    it('the last step is never skipped for health alone', async () => {
      const h = await health(await newStore());
      sends(h, 12, 12);
      await h.flush();
      expect(await h.decide(KEYS, true)).toMatchObject({ send: false });
      expect(await h.decide(KEYS, false)).toEqual({ send: true });
    });

    it('open → half-open after the cooldown: a bounded number of flows probe, the rest skip', async () => {
      const h = await health(await newStore(), { policy: { probes: 2 } });
      sends(h, 12, 12);
      await h.flush();
      clock += h.policy.cooldownMs;
      const decisions = [await h.decide(KEYS, true), await h.decide(KEYS, true), await h.decide(KEYS, true)];
      expect(decisions.map((d) => d.send)).toEqual([true, true, false]);
      expect(decisions[0]).toEqual({ send: true, probe: 'smsbat' });
      expect(lines.filter((l) => l.to === 'half_open').map((l) => l.key)).toEqual(['smsbat']);
    });

    it('half-open → closed when the probes succeed: traffic comes back', async () => {
      const h = await health(await newStore());
      sends(h, 12, 12);
      await h.flush();
      clock += h.policy.cooldownMs;
      await h.decide(KEYS, true); // turns smsbat half-open
      await h.flush(); // and its sub-keys
      sends(h, 2, 0);
      await h.flush();
      expect(
        lines
          .filter((l) => l.to === 'closed')
          .map((l) => l.key)
          .sort(),
      ).toEqual([...KEYS].sort());
      expect(await h.decide(KEYS, true)).toEqual({ send: true });
    });

    it('half-open → open again when a probe fails', async () => {
      const h = await health(await newStore());
      sends(h, 12, 12);
      await h.flush();
      clock += h.policy.cooldownMs;
      await h.flush();
      sends(h, 1, 1);
      await h.flush();
      expect(lines.filter((l) => l.key === 'smsbat').map((l) => l.to)).toEqual(['open', 'half_open', 'open']);
      expect(await h.decide(KEYS, true)).toMatchObject({ send: false, state: 'open' });
    });

    it('silent outage: pushed sends whose receipts are overdue open the provider', async () => {
      const h = await health(await newStore());
      sends(h, 12, 0, true);
      await h.flush();
      clock += h.policy.receiptDueMs - 1000;
      await h.flush();
      expect(await h.decide(KEYS, true)).toEqual({ send: true });
      clock += 2 * h.policy.bucketMs;
      await h.flush();
      expect(await h.decide(KEYS, true)).toMatchObject({ send: false, key: 'smsbat', state: 'open' });
      expect(lines[0]).toMatchObject({ key: 'smsbat', cause: 'silent' });
    });

    it('health no receiver shares expects no receipts: the same overdue sends leave it closed', async () => {
      const h = await health(await newStore(), { hearsReceipts: false });
      sends(h, 12, 0, true);
      await h.flush();
      clock += h.policy.receiptDueMs + 2 * h.policy.bucketMs;
      await h.flush();
      expect(await h.decide(KEYS, true)).toEqual({ send: true });
      expect(lines).toEqual([]);
    });

    it('failed receipts open the provider; a delivered probe closes it', async () => {
      const h = await health(await newStore());
      for (let i = 0; i < 12; i++) h.receipt('smsbat', i < 8 ? 'failed' : 'delivered');
      await h.flush();
      expect(await h.decide(KEYS, true)).toMatchObject({ send: false, key: 'smsbat' });
      clock += h.policy.cooldownMs;
      await h.flush();
      h.receipt('smsbat', 'delivered');
      h.receipt('smsbat', 'delivered');
      await h.flush();
      expect(lines.map((l) => l.to)).toEqual(['open', 'half_open', 'closed']);
    });

    it('noise (5 % send errors, 2 % failed receipts) never opens a breaker', async () => {
      const h = await health(await newStore());
      for (let second = 0; second < 180; second++) {
        for (let i = 0; i < 20; i++) {
          const n = second * 20 + i;
          h.sendOutcome(KEYS, 1, n % 20 === 7 ? 'error' : 'ok', true);
          h.receipt('smsbat', n % 50 === 3 ? 'failed' : 'delivered');
        }
        await h.flush();
        clock += 1000;
      }
      expect(lines).toEqual([]);
      expect(await h.decide(KEYS, true)).toEqual({ send: true });
    });

    it('operators force a state and hand it back; forcing covers the keys under it', async () => {
      const connect = await newStore();
      const worker = await health(connect);
      const operator = await health(connect);
      await operator.force('smsbat', 'open', 'test');
      clock += worker.policy.cacheMs;
      expect(await worker.decide(KEYS, true)).toMatchObject({ send: false, reason: 'forced open by an operator' });
      sends(worker, 12, 12);
      await worker.flush();
      await operator.force('smsbat', 'closed', 'test');
      clock += worker.policy.cacheMs;
      expect(await worker.decide(KEYS, true)).toEqual({ send: true });
      await operator.force('smsbat', 'auto', 'test');
      expect((await operator.status()).find((s) => s.key === 'smsbat')).toMatchObject({
        state: 'closed',
        mode: 'auto',
      });
      await expect(operator.force('twilio', 'open')).rejects.toThrow(RangeError);
    });

    it('health learned by one process steers another; each change is logged once', async () => {
      const connect = await newStore();
      const a = await health(connect);
      const b = await health(connect);
      sends(a, 6, 6);
      sends(b, 6, 6);
      await Promise.all([a.flush(), b.flush()]);
      await Promise.all([a.flush(), b.flush()]);
      clock += a.policy.cacheMs;
      expect(await b.decide(KEYS, true)).toMatchObject({ send: false });
      expect(await a.decide(KEYS, true)).toMatchObject({ send: false });
      const opens = lines.filter((l) => l.key === 'smsbat' && l.to === 'open');
      expect(opens).toHaveLength(1);
    });
  });
}

describeHealthContract('memory', async () => {
  const data = new MemoryHealthData();
  return async () => data.open();
});

let dir: string;
let files = 0;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cascade-health-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeHealthContract('SQLite', async () => {
  const url = `sqlite:${join(dir, `health-${++files}.sqlite`)}`;
  return () => openHealthStore(url);
});

let pg: TestPostgres;
beforeAll(async () => {
  pg = await startPostgres();
}, 30_000);
afterAll(async () => {
  await pg?.stop();
});

describeHealthContract('PostgreSQL', async () => {
  // One database for the file: each store starts from empty tables.
  const first = await openHealthStore(pg.url);
  await first.close();
  const admin = new Client({ connectionString: pg.url });
  await admin.connect();
  await admin.query('TRUNCATE cascade_health_buckets, cascade_health_breakers');
  await admin.end();
  return () => openHealthStore(pg.url);
});

describe('beside the receipt index', () => {
  it('shares its SQLite file and its PostgreSQL database', async () => {
    const at = T0 + 86_400_000;
    for (const url of [`sqlite:${join(dir, 'shared.sqlite')}`, pg.url]) {
      const index = await openReceiptIndex(url);
      const health = await openHealthStore(url);
      await index.claim('smsbat', [{ messageId: 'm1', owner: { kind: 'flow', workflowId: 'wf' } }]);
      await health.record(at, new Map([['smsbat', counts({ ok: 1 })]]));
      expect(
        await index.route({ provider: 'smsbat', providerMessageId: 'm1', state: 'delivered', rawStatus: 'x' }),
      ).toMatchObject({ kind: 'owner' });
      expect((await health.buckets(at)).filter((b) => b.start === at)).toHaveLength(1);
      await Promise.all([index.close(), health.close()]);
    }
  });

  it('refuses an unknown URL with the index’s typed error', async () => {
    await expect(openHealthStore('redis://x')).rejects.toMatchObject({ code: 'RECEIPT_INDEX_BAD_URL' });
  });
});
