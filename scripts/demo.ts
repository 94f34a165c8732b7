import { type CascadeClient } from '../src/client';
import { type Simulator } from '../src/sim/server';

/**
 * The sandbox's demo: an OTP flow whose first channel (SMSBAT) fails at the provider and whose
 * fallback (Reach) delivers; the code is then read from the simulator, as a user would read their
 * phone, and verified. Everything shows in the Web UI under the printed link. Each stage reports
 * within seconds, success or not.
 */
export async function runDemo(cascade: CascadeClient, sim: Simulator, uiUrl: string): Promise<void> {
  const phone = '+380501234567';
  const trackingId = `demo-${new Date()
    .toISOString()
    .replace(/[^0-9]/g, '')
    .slice(0, 14)}`;
  sim.script({
    recipient: phone,
    provider: 'smsbat',
    outcome: { kind: 'fail', status: 'undeliverable', afterMs: 2000 },
  });

  console.log('demo: starting an OTP flow (SMSBAT → Reach → email)…');
  const started = await within(
    15_000,
    cascade.startOtp({
      trackingId,
      recipient: { phone, email: 'demo@example.com' },
      steps: [
        { channel: 'smsbat', fromName: 'Cascade', deliveryTimeout: '30s' },
        { channel: 'reach', src: 'Cascade', deliveryTimeout: '30s' },
        { channel: 'email', subject: 'Your Cascade code' },
      ],
      template: 'Your {app} code is {code}',
      appName: 'Cascade demo',
    }),
  );
  if (started === undefined) {
    return console.log('demo: the flow did not start within 15 s (is the worker polling? see the Web UI)');
  }
  const { id } = started;
  console.log(`demo: OTP flow ${id} — ${uiUrl}/namespaces/default/workflows/${encodeURIComponent(id)}`);

  const reached = await waitFor(
    () => sim.messages('reach').find((m) => m.recipient === phone && m.text?.includes('Cascade demo')),
    60_000,
  );
  const code = /(\d{6})/.exec(reached?.text ?? '')?.[1];
  if (!code) return console.log('demo: the fallback message did not arrive within 60 s; see the Web UI');
  await new Promise((r) => setTimeout(r, 3000));
  const verified = await cascade.verifyOtp(id, code);
  console.log(`demo: SMSBAT failed, Reach delivered, the code was verified: ${verified.status}`);
}

/** The value, or undefined when it takes longer than `ms` (the promise is left to settle alone). */
async function within<T>(ms: number, promise: Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function waitFor<T>(get: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = get();
    if (value !== undefined || Date.now() > until) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
}
