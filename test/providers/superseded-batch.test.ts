import { ReachChannel } from '../../src/channels/reach';
import { SmsbatChannel } from '../../src/channels/smsbat';
import { ReachClient } from '../../src/providers/reach/client';
import { SmsbatClient } from '../../src/providers/smsbat/client';
import { SIM_CREDENTIALS, startSimulator, type Simulator } from '../../src/sim/server';

/**
 * A bulk send attempt whose heartbeat timed out is superseded by a retry that looks up what was
 * sent; the late attempt hears of it through its signal and must start no further request, or
 * both would create the same messages side by side (real sockets, counted at the simulator).
 */
describe('a superseded batch attempt stops sending', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ deliveryDelayMs: 0, smtpPort: false });
  });
  afterAll(() => sim.close());

  test('Reach: no create starts after the signal aborts', async () => {
    const client = new ReachClient({ baseUrl: sim.url, ...SIM_CREDENTIALS.reach });
    const channel = new ReachChannel(client);
    const bulkId = `superseded-${Date.now()}`;
    const messages = Array.from({ length: 200 }, (_, i) => ({
      id: `s-${i}`,
      phone: `+23767${String(4_000_001 + i * 10)}`,
      text: `Hello ${i}`,
    }));
    const abort = new AbortController();
    const created = () => sim.messages('reach').filter((m) => m.trackingKey === bulkId).length;
    const sending = channel
      .sendBatch({
        step: { channel: 'reach', src: 'Shop' },
        bulkId,
        messages,
        attempt: 1,
        owner: 'bulk:superseded:chunk:0',
        firstSlot: 0,
        signal: abort.signal,
      })
      .then(
        () => 'finished',
        (err: unknown) => (err as Error).name,
      );
    while (created() < 10) await new Promise((r) => setImmediate(r));
    abort.abort();
    const atAbort = created();
    expect(await sending).toBe('AbortError');
    // Creates already on the wire (8 at a time at most) may still land; none starts after.
    await new Promise((r) => setTimeout(r, 500));
    expect(created()).toBeLessThanOrEqual(atAbort + 8);
    await client.close();
  });

  test('SMSBAT: no request starts after the signal aborts', async () => {
    const client = new SmsbatClient({ baseUrl: sim.url, credentials: SIM_CREDENTIALS.smsbat });
    const channel = new SmsbatChannel(client);
    const abort = new AbortController();
    abort.abort();
    const before = sim.requests('smsbat').length;
    await expect(
      channel.sendBatch({
        step: { channel: 'smsbat', route: 'standard', messageType: 'transaction', fromName: 'Shop' },
        bulkId: 'superseded',
        messages: [{ id: 'x-1', phone: '+380661234101', text: 'Hello' }],
        attempt: 1,
        owner: 'bulk:superseded:chunk:0',
        firstSlot: 0,
        signal: abort.signal,
      }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect(sim.requests('smsbat').length).toBe(before);
    await client.close();
  });
});
