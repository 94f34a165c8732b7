// `node build/src/otp-flow.js <workflow-bundle.js>` with TEMPORAL_ADDRESS (and TEMPORAL_NAMESPACE) set: the simulator, the
// app's worker and its backend run one OTP flow end to end; prints the outcome as one JSON line.
import { randomBytes, randomUUID } from 'node:crypto';
import { SIM_CREDENTIALS, startSimulator } from 'temporal-cascade/sim';
import { connectBackend, startLoginCode } from './backend';
import { createAppWorker } from './worker';

async function main(bundlePath: string): Promise<void> {
  const address = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
  const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
  const taskQueue = `consumer-${randomUUID()}`;
  const otpSecret = randomBytes(32).toString('hex');
  const phone = '+380501234567';
  const sim = await startSimulator({ deliveryDelayMs: 0, smtpPort: false });
  const { worker, close } = await createAppWorker(
    {
      TEMPORAL_ADDRESS: address,
      TEMPORAL_NAMESPACE: namespace,
      TEMPORAL_TASK_QUEUE: taskQueue,
      CASCADE_ENCRYPTION: 'off',
      CASCADE_OTP_SECRET: otpSecret,
      SMSBAT_BASE_URL: sim.url,
      SMSBAT_API_KEY: SIM_CREDENTIALS.smsbat.apiKey,
    },
    bundlePath,
  );
  const backend = await connectBackend({ address, namespace, taskQueue, otpSecret });
  try {
    const outcome = await worker.runUntil(async () => {
      // Traffic once the worker runs (its namespace check refuses a namespace without setup first).
      while (worker.getState() !== 'RUNNING') await new Promise((r) => setTimeout(r, 20));
      const login = await startLoginCode(backend.cascade, `login-${randomUUID()}`, phone);
      const code = await codeSentTo(() => sim.messages('smsbat').find((m) => m.recipient === phone)?.text);
      const verified = await login.verify(code);
      const result = await login.result();
      return { id: login.id, verified: verified.status, result: result.status };
    });
    console.log(JSON.stringify(outcome));
  } finally {
    await backend.close();
    await close();
    await sim.close();
  }
}

async function codeSentTo(text: () => string | undefined): Promise<string> {
  const until = Date.now() + 30_000;
  for (;;) {
    const code = text()?.match(/\b(\d{4,10})\b/)?.[1];
    if (code) return code;
    if (Date.now() > until) throw new Error('no code reached the phone');
    await new Promise((r) => setTimeout(r, 50));
  }
}

main(process.argv[2] ?? 'workflow-bundle.js').catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
