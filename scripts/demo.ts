import { type CascadeClient } from '../src/client';
import { type Simulator } from '../src/sim/server';

/**
 * The sandbox's demo: an OTP flow that walks the whole chain the banner names. The simulator is
 * told to fail SMSBAT and then Reach for the demo's own number (never the README's examples'
 * number, whose sends keep behaving as written), so the code arrives by email; it is read from the
 * SMTP capture, as a user would read their inbox, and verified. Each stage reports within seconds.
 */
export async function runDemo(cascade: CascadeClient, sim: Simulator, uiUrl: string): Promise<void> {
  const phone = demoPhone();
  const email = 'demo@example.com';
  const stamp = new Date()
    .toISOString()
    .replace(/[^0-9]/g, '')
    .slice(0, 14);
  // Each provider's own word for it (a word it does not use would only time out).
  sim.script({
    recipient: phone,
    provider: 'smsbat',
    outcome: { kind: 'fail', status: 'undeliverable', afterMs: 2000 },
  });
  sim.script({ recipient: phone, provider: 'reach', outcome: { kind: 'fail', status: 'undelivered', afterMs: 2000 } });

  console.log(
    `demo: an OTP flow to ${phone} (the simulator fails SMSBAT, then Reach, for this number) that falls back to email,\n` +
      '      whose code is read from the SMTP capture and verified…',
  );
  const started = await within(
    15_000,
    cascade.startOtp({
      trackingId: `demo-${stamp}`,
      recipient: { phone, email },
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

  const mailed = await waitFor(
    () => sim.messages('email').find((m) => m.recipient === email && m.text?.includes('Cascade demo')),
    90_000,
  );
  const code = /(\d{6})/.exec(mailed?.text ?? '')?.[1];
  if (!code) return console.log('demo: the email did not arrive within 90 s; see the Web UI');
  const verified = await cascade.verifyOtp(id, code);
  console.log(`demo: SMSBAT failed, Reach failed, email delivered, the code was verified: ${verified.status}`);
}

/** A number of the demo's own, different each run (the per-recipient limits count every start). */
function demoPhone(): string {
  let tail = 100 + (Math.floor(Date.now() / 1000) % 800);
  if (tail === 400) tail = 401; // the simulator refuses numbers ending in 400
  return `+380670001${tail}`;
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
