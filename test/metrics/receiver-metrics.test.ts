import { Client } from '@temporalio/client';
import { openReceiptIndex } from '../../src/receipts/open';
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
