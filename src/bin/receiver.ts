#!/usr/bin/env node
/** `temporal-cascade-receiver` (`npm run webhooks`): the receipt receiver, configured from the environment. */
import { Client, Connection } from '@temporalio/client';
import { dataConverterFor } from '../codec/data-converter';
import { loadConfig } from '../config';
import { openProviderHealth } from '../health';
import { openLimitStore, sharedLimitStoreUrl } from '../limits/open';
import { type LimitStore } from '../limits/store';
import { openReceiptIndex } from '../receipts/open';
import { DEFAULT_LIMITS } from '../shared/limits';
import { connectionAuth } from '../temporal-connection';
import { WebhookReceiver } from '../webhooks/receiver';
import { runMain, untilSignal } from './main';

runMain(async () => {
  const config = loadConfig();
  const { temporal, webhooks } = config;
  if (!webhooks.publicUrl) throw new Error('set CASCADE_PUBLIC_WEBHOOK_URL: providers sign and call that URL');
  const connection = await Connection.connect({ address: temporal.address, ...connectionAuth(config) });
  // Only SMSBAT's webhook needs the index (Reach's callback URLs name their flows).
  const receipts = webhooks.smsbatToken ? await openReceiptIndex(webhooks.receiptIndex) : undefined;
  // Receipts feed provider health where the workers read it (the receipt index's database).
  const health = config.providerHealth.enabled ? await openProviderHealth(webhooks.receiptIndex) : undefined;
  // The blocks gauge on /metrics, read where the workers count; opened on the first scrape (and
  // again after a failed open), so a store that is down never keeps the receiver from starting.
  const limitsUrl = config.otpLimits && webhooks.metricsToken ? sharedLimitStoreUrl(config) : undefined;
  let limits: Promise<LimitStore> | undefined;
  const limitStore = limitsUrl
    ? {
        activeBlocks: async () => {
          limits ??= openLimitStore(limitsUrl, DEFAULT_LIMITS).catch((err: unknown) => {
            limits = undefined;
            throw err;
          });
          return (await limits).activeBlocks();
        },
      }
    : undefined;
  const receiver = await new WebhookReceiver({
    client: new Client({ connection, namespace: temporal.namespace, dataConverter: dataConverterFor(config) }),
    publicUrl: webhooks.publicUrl,
    smsbatToken: webhooks.smsbatToken,
    receipts,
    health,
    reachApiKey: config.reach?.apiKey,
    smsbatCurrency: config.smsbat?.currency,
    metricsToken: webhooks.metricsToken,
    limitStore,
    log: (entry) => console.log(JSON.stringify(entry)),
  }).start(webhooks.port, webhooks.host);
  console.log(`webhook receiver on ${receiver.url}, public URL ${webhooks.publicUrl}`);
  await untilSignal();
  await receiver.close();
  await receipts?.close();
  await health?.close();
  await (await limits?.catch(() => undefined))?.close();
  await connection.close();
});
