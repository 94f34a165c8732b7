/**
 * `npm run sim`: the provider simulator on its own (SMSBAT + Reach over HTTP, SMTP capture).
 * Ports: SIM_PORT (default 8090), SIM_SMTP_PORT (2525). Control API under /_sim/.
 */
import { stopOnSignals } from '../src/http-server/shutdown';
import { startSimulator } from '../src/sim/server';

async function main(): Promise<void> {
  const sim = await startSimulator({
    port: Number(process.env.SIM_PORT ?? 8090),
    smtpPort: Number(process.env.SIM_SMTP_PORT ?? 2525),
    deliveryDelayMs: Number(process.env.SIM_DELIVERY_DELAY_MS ?? 1500),
  });
  if (process.env.SIM_SMSBAT_WEBHOOK_URL) sim.setSmsbatWebhookUrl(process.env.SIM_SMSBAT_WEBHOOK_URL);
  console.log(`provider simulator: ${sim.url} (SMSBAT and Reach), SMTP ${sim.smtpUrl}, control ${sim.url}/_sim/health`);
  stopOnSignals(() => sim.close());
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
