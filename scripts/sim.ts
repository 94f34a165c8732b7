/**
 * `npm run sim`: the provider simulator on its own (SMSBAT + Reach over HTTP, SMTP capture).
 * Ports: SIM_PORT (default 8090), SIM_SMTP_PORT (2525). Control API under /_sim/. It prints the
 * credentials it accepts and curl examples to paste (src/sim/quickstart.ts).
 */
import { stopWithParent } from '../src/bin/main';
import { stopOnSignals } from '../src/http-server/shutdown';
import { quickstart } from '../src/sim/quickstart';
import { startSimulator } from '../src/sim/server';

async function main(): Promise<void> {
  const sim = await startSimulator({
    port: Number(process.env.SIM_PORT ?? 8090),
    smtpPort: Number(process.env.SIM_SMTP_PORT ?? 2525),
    deliveryDelayMs: Number(process.env.SIM_DELIVERY_DELAY_MS ?? 1500),
  });
  if (process.env.SIM_SMSBAT_WEBHOOK_URL) sim.setSmsbatWebhookUrl(process.env.SIM_SMSBAT_WEBHOOK_URL);
  console.log(quickstart({ url: sim.url, smtpUrl: sim.smtpUrl, smsbat: sim.smsbatConfig, reach: sim.reachConfig }));
  stopOnSignals(() => sim.close());
  stopWithParent();
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
