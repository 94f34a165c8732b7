import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@temporalio/client';
import { openLimitStore } from '../../src/limits/open';
import { type LimitStore } from '../../src/limits/store';
import { openReceiptIndex } from '../../src/receipts/open';
import { DEFAULT_LIMITS } from '../../src/shared/limits';
import { type ReceiptIndex } from '../../src/receipts/types';
import { WebhookReceiver } from '../../src/webhooks/receiver';

const METRICS_TOKEN = 'receiver-metrics-token-5f1c9a2e7b';

/** The receiver's `/metrics` as Prometheus scrapes it (the end-to-end run is prometheus.test.ts). */
describe("the webhook receiver's metrics", () => {
  let receipts: ReceiptIndex;
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    receipts = await openReceiptIndex('memory:');
    receiver = await new WebhookReceiver({
      // Never dialled here: only /readyz and receipts reach Temporal.
      client: new Client(),
      publicUrl: 'http://127.0.0.1',
      smsbatToken: 'smsbat-webhook-token-0123456789',
      receipts,
      metricsToken: METRICS_TOKEN,
    }).start(0);
  });
  afterAll(async () => {
    await receiver?.close();
    await receipts?.close();
  });

  const scrape = (headers: Record<string, string>) => fetch(`${receiver.url}/metrics`, { headers });

  test('a scraper gets the Prometheus text format; refused receipts and unknown paths count under fixed route labels', async () => {
    expect((await fetch(`${receiver.url}/webhooks/smsbat/wrong-token`, { method: 'POST', body: '{}' })).status).toBe(
      401,
    );
    expect((await fetch(`${receiver.url}/lookup/+380501234567`)).status).toBe(404);

    const res = await scrape({
      authorization: `Bearer ${METRICS_TOKEN}`,
      accept: 'application/openmetrics-text;version=1.0.0;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
    });
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toContain('# TYPE temporal_cascade_receiver_requests_total counter');
    expect(text).toContain('temporal_cascade_receiver_requests_total{route="smsbat",code="401"} 1');
    expect(text).toContain('temporal_cascade_receiver_requests_total{route="other",code="404"} 1');
    expect(text).not.toMatch(/380501234567|wrong-token|lookup/);
  });

  test('other clients get the JSON counts; no token, no metrics', async () => {
    const json = await scrape({ authorization: `Bearer ${METRICS_TOKEN}` });
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await json.json()).toHaveProperty('receipts');
    expect((await scrape({ accept: 'text/plain' })).status).toBe(401);
  });
});

/** The blocks gauge: read from the limit store the workers count in, when Prometheus scrapes. */
describe("the abuse-limit blocks on the receiver's /metrics", () => {
  let dir: string;
  let url: string;
  const receivers: WebhookReceiver[] = [];
  const stores: LimitStore[] = [];
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cascade-blocks-metric-'));
    url = `sqlite:${join(dir, 'index.sqlite')}`;
  });
  afterAll(async () => {
    for (const r of receivers) await r.close();
    for (const s of stores) await s.close().catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A store on the same SQLite file, as the worker's and the receiver's are in production. */
  const store = async () => {
    const s = await openLimitStore(url, DEFAULT_LIMITS);
    stores.push(s);
    return s;
  };
  const receiver = async (options: Partial<ConstructorParameters<typeof WebhookReceiver>[0]>) => {
    const r = await new WebhookReceiver({
      client: new Client(),
      publicUrl: 'http://127.0.0.1',
      metricsToken: METRICS_TOKEN,
      ...options,
    }).start(0);
    receivers.push(r);
    return r;
  };
  const scrape = async (r: WebhookReceiver) => {
    const res = await fetch(`${r.url}/metrics`, {
      headers: { authorization: `Bearer ${METRICS_TOKEN}`, accept: 'text/plain' },
    });
    expect(res.status).toBe(200);
    return res.text();
  };
  const gauge = (text: string, mode: 'enforce' | 'monitor') =>
    new RegExp(`^temporal_cascade_abuse_blocks_active\\{scope="prefix",mode="${mode}"\\} (\\d+)$`, 'm').exec(text)?.[1];

  test('an operator block shows as 1 at the next scrape and 0 after the unblock; monitor-mode blocks apart', async () => {
    const operator = await store();
    const r = await receiver({ limitStore: await store(), limitStoreCacheMs: 0 });
    const before = await scrape(r);
    expect(before).toContain('# TYPE temporal_cascade_abuse_blocks_active gauge');
    expect(gauge(before, 'enforce')).toBe('0');
    expect(gauge(before, 'monitor')).toBe('0');

    await operator.block('+38067', 'test', 'pumping seen by support');
    expect(gauge(await scrape(r), 'enforce')).toBe('1');
    // A trip recorded in monitor mode: would be refusing, not enforced.
    const now = Date.now();
    await operator.backend.putBlock({
      key: 'p:+38050',
      rule: 'burst',
      reason: 'codes not verified',
      since: now,
      until: now + 60_000,
      trips: 1,
      monitor: true,
      expiresAt: now + 120_000,
    });
    const both = await scrape(r);
    expect([gauge(both, 'enforce'), gauge(both, 'monitor')]).toEqual(['1', '1']);

    await operator.unblock('+38067', 'test');
    expect(gauge(await scrape(r), 'enforce')).toBe('0');
  });

  test('scrapes within the cache time are one read of the store', async () => {
    const s = await store();
    const reads = jest.spyOn(s, 'activeBlocks');
    const r = await receiver({ limitStore: s });
    const texts = await Promise.all(Array.from({ length: 5 }, () => scrape(r)));
    texts.push(await scrape(r));
    expect(texts.every((t) => gauge(t, 'enforce') !== undefined)).toBe(true);
    expect(reads).toHaveBeenCalledTimes(1);
  });

  test('a store that cannot answer leaves the gauge out, counts it and logs it; the scrape still succeeds', async () => {
    const down = await store();
    await down.close();
    const log: Record<string, unknown>[] = [];
    const r = await receiver({ limitStore: down, limitStoreCacheMs: 0, log: (e) => log.push(e) });
    const first = await scrape(r);
    const second = await scrape(r);
    expect(first).not.toContain('temporal_cascade_abuse_blocks_active');
    expect(first).toContain('temporal_cascade_receiver_store_errors_total{store="limits"} 1');
    expect(second).toContain('temporal_cascade_receiver_store_errors_total{store="limits"} 2');
    // One line per interval, however often it is scraped.
    expect(log.filter((e) => e.event === 'limit_store_unavailable')).toHaveLength(1);
  });

  test('a store that hangs costs a scrape its gauge, not the scrape', async () => {
    const r = await receiver({ limitStore: { activeBlocks: () => new Promise(() => undefined) } });
    const text = await scrape(r);
    expect(text).not.toContain('temporal_cascade_abuse_blocks_active');
    expect(text).toContain('temporal_cascade_receiver_store_errors_total{store="limits"} 1');
  });
});
