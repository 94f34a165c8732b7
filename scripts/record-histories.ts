/**
 * `npm run histories:record`: runs every workflow type through its significant paths against a
 * fresh dev server and the provider simulator, and writes each history as JSON to
 * test/replay/histories/<package version>/. Run it once per release (see CONTRIBUTING.md); the
 * replay test then proves that every later version still replays what this one recorded.
 *
 * Payloads are stored unencrypted (CASCADE_ENCRYPTION=off) so a reviewer can read them; they hold
 * simulator credentials only, synthetic phone numbers and example.com addresses, never an OTP code.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { CascadeClient } from '../src/client';
import { loadConfig } from '../src/config';
import { openReceiptIndex } from '../src/receipts/open';
import { MemoryLimitBackend } from '../src/limits/memory';
import { LimitStore } from '../src/limits/store';
import { otpWorkflowId } from '../src/shared/ids';
import { DEFAULT_LIMITS } from '../src/shared/limits';
import { cancelSignal, pauseSignal, progressQuery, receiptSignal, resumeSignal } from '../src/shared/messages';
import { type BulkSendInput } from '../src/shared/schemas';
import { type Simulator, startSimulator } from '../src/sim/server';
import { freePort, startDevServer } from '../src/testing/dev-server';
import { simulatorEnv } from '../src/testing/testbed';
import { WebhookReceiver } from '../src/webhooks/receiver';
import { smsbatWebhookUrl } from '../src/webhooks/urls';
import { createCascadeWorker } from '../src/worker/create-worker';
import { version } from '../package.json';

const OUT = join(__dirname, '..', 'test', 'replay', 'histories', version);
/** Blocks a prefix after three unverified codes (the conversion rule's path) and a recipient after five. */
const STRICT_LIMITS = {
  ...DEFAULT_LIMITS,
  conversion: { minFlows: 3, window: 10, minRate: 0.5, settleAfterMs: 0 },
  burst: undefined,
};
const TOKEN = 'recorder-webhook-token-0123456789';

interface Recorded {
  file: string;
  workflowId: string;
  path: string;
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  // Continue-as-new is suggested after a few events, so the campaign's continue-as-new path is
  // recorded with two chunks instead of forty.
  const server = await startDevServer({
    extraArgs: ['--dynamic-config-value', 'limit.historyCount.suggestContinueAsNew=20'],
  });
  const files = mkdtempSync(join(tmpdir(), 'cascade-record-'));
  const sim = await startSimulator({ deliveryDelayMs: 300 });
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const config = loadConfig({
    ...simulatorEnv(sim),
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_TASK_QUEUE: 'temporal-cascade',
    CASCADE_PUBLIC_WEBHOOK_URL: publicUrl,
    CASCADE_SMSBAT_WEBHOOK_TOKEN: TOKEN,
    CASCADE_BULK_DIRS: files,
  });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const receipts = await openReceiptIndex('sqlite::memory:');
  const receiver = await new WebhookReceiver({
    client,
    publicUrl,
    smsbatToken: TOKEN,
    receipts,
    reachApiKey: config.reach!.apiKey,
  }).start(port);
  sim.setSmsbatWebhookUrl(smsbatWebhookUrl(publicUrl, TOKEN));
  // The worker applies the strict policy inside otpVerification (children, direct starts).
  const limitStore = new LimitStore(new MemoryLimitBackend(), STRICT_LIMITS);
  const { worker, close } = await createCascadeWorker({
    config,
    plugin: { receiptIndex: receipts, limits: STRICT_LIMITS, limitStore },
  });
  const running = worker.run();
  const cascade = new CascadeClient({ client, taskQueue: config.temporal.taskQueue, otpSecret: config.otpSecret });
  // A second client whose prefix guard blocks quickly: the conversion rule's path.
  const strict = new CascadeClient({
    client,
    taskQueue: config.temporal.taskQueue,
    otpSecret: config.otpSecret,
    limits: STRICT_LIMITS,
    limitStore,
  });
  const ctx: Ctx = { client, cascade, strict, sim, taskQueue: config.temporal.taskQueue, files };

  const recorded: Recorded[] = [];
  try {
    const results = await Promise.allSettled(SCENARIOS.map((s) => s.run(ctx)));
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`${SCENARIOS[i].path}: ${r.reason}`] : []));
    if (failed.length > 0) throw new Error(`scenarios failed:\n  ${failed.join('\n  ')}`);
    rmSync(OUT, { recursive: true, force: true });
    mkdirSync(OUT, { recursive: true });
    for (const [i, result] of results.entries()) {
      const ids = (result as PromiseFulfilledResult<Record<string, string>>).value;
      for (const [suffix, workflowId] of Object.entries(ids)) {
        for (const [runSuffix, id, runId] of await runsOf(client, workflowId)) {
          const history = await client.workflow.getHandle(id, runId).fetchHistory();
          const type = history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name;
          const name = [type, SCENARIOS[i].path, suffix + runSuffix].filter(Boolean).join('--');
          writeFileSync(join(OUT, `${name}.json`), historyToJSON(history) + '\n');
          recorded.push({ file: `${name}.json`, workflowId: id, path: SCENARIOS[i].path });
        }
      }
    }
    writeFileSync(
      join(OUT, 'manifest.json'),
      JSON.stringify({ version, recordedAt: new Date().toISOString(), histories: recorded }, null, 2) + '\n',
    );
    console.log(`${recorded.length} histories in ${OUT}:`);
    for (const name of readdirSync(OUT)) console.log(`  ${name}`);
  } finally {
    worker.shutdown();
    await running;
    await close();
    await receiver.close();
    await receipts.close();
    await connection.close();
    await sim.close();
    await server.stop();
    rmSync(files, { recursive: true, force: true });
  }
}

/**
 * `id` (the latest run), `id@runId` (that run), or `runs:id` (every run of an entity that
 * continues as new, oldest first, each suffixed `-run<n>`).
 */
async function runsOf(client: Client, ref: string): Promise<[string, string, string | undefined][]> {
  if (!ref.startsWith('runs:')) {
    const [id, runId] = ref.split('@');
    return [['', id, runId]];
  }
  const id = ref.slice('runs:'.length);
  const runs: { runId: string; startTime: Date }[] = [];
  for await (const run of client.workflow.list({ query: `WorkflowId = "${id}"` })) runs.push(run);
  runs.sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
  return runs.map((run, n) => [`-run${n + 1}`, id, run.runId]);
}

interface Ctx {
  client: Client;
  cascade: CascadeClient;
  strict: CascadeClient;
  sim: Simulator;
  taskQueue: string;
  /** A scratch directory for campaign files. */
  files: string;
}

/** A scenario returns the workflows it produced, keyed by a file-name suffix ('' for the main one). */
interface Scenario {
  path: string;
  run(ctx: Ctx): Promise<Record<string, string>>;
}

let phones = 0;
/** Synthetic numbers, unique per scenario; the last three digits pick the simulator's outcome. */
function phone(ending = '101'): string {
  return `+38050${String(++phones).padStart(4, '0')}${ending}`;
}

function trackingId(path: string): string {
  return `rec-${path}-${Date.now().toString(36)}`;
}

const steps = {
  smsbat: (timeout = '1m') => ({ channel: 'smsbat' as const, fromName: 'Shop', deliveryTimeout: timeout }),
  reach: (timeout = '1m') => ({ channel: 'reach' as const, src: 'Shop', deliveryTimeout: timeout }),
  email: () => ({ channel: 'email' as const, subject: 'Your message' }),
};

async function done(handle: WorkflowHandle): Promise<void> {
  await handle.result().catch(() => undefined);
}

/** Checks that a recorded flow took the path its name claims. */
async function expectResult(handle: WorkflowHandle, expected: { status: string; attempts?: string[] }) {
  const result = (await handle.result()) as { status: string; attempts: { channel: string; status: string }[] };
  const attempts = result.attempts.map((a) => `${a.channel}:${a.status}`);
  const ok = result.status === expected.status && (!expected.attempts || attempts.join() === expected.attempts.join());
  if (!ok) throw new Error(`${handle.workflowId}: ${result.status} [${attempts}] is not the path recorded`);
}

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function codeSentTo(sim: Simulator, to: string, nth = 1): Promise<string> {
  let code: string | undefined;
  await until(() => {
    code = /(\d{4,10})/.exec(sim.messages().filter((m) => m.recipient === to)[nth - 1]?.text ?? '')?.[1];
    return code !== undefined;
  }, `code ${nth} to a recipient`);
  return code!;
}

async function message(ctx: Ctx, path: string, input: Omit<Parameters<CascadeClient['sendMessage']>[0], 'trackingId'>) {
  const { id } = await ctx.cascade.sendMessage({ trackingId: trackingId(path), ...input });
  return ctx.client.workflow.getHandle(id);
}

async function otp(
  ctx: Ctx,
  path: string,
  input: Partial<Parameters<CascadeClient['startOtp']>[0]> & { recipient: { phone?: string; email?: string } },
  via: CascadeClient = ctx.cascade,
) {
  const { id } = await via.startOtp({
    trackingId: trackingId(path),
    steps: [steps.smsbat()],
    template: 'Your code is {code}',
    ...input,
  });
  return ctx.client.workflow.getHandle(id);
}

const text = 'Your order has been confirmed';

const SCENARIOS: Scenario[] = [
  // ---- deliverMessage -------------------------------------------------------------------------
  {
    path: 'webhook',
    async run(ctx) {
      const to = phone();
      const handle = await message(ctx, 'webhook', { recipient: { phone: to }, text, steps: [steps.smsbat()] });
      // Since 0.2.0 the receiver signals the flow itself (the receipt index): no receiptRouter.
      await expectResult(handle, { status: 'delivered', attempts: ['smsbat:delivered'] });
      return { '': handle.workflowId };
    },
  },
  {
    path: 'poll',
    async run(ctx) {
      const handle = await message(ctx, 'poll', {
        recipient: { phone: phone('997') },
        text,
        steps: [{ ...steps.smsbat(), pollAfter: '1s' }],
      });
      await expectResult(handle, { status: 'delivered', attempts: ['smsbat:delivered'] });
      return { '': handle.workflowId };
    },
  },
  {
    path: 'fallback',
    async run(ctx) {
      const handle = await message(ctx, 'fallback', {
        recipient: { phone: phone('998'), email: 'fallback@example.com' },
        text,
        steps: [steps.smsbat(), steps.reach(), steps.email()],
      });
      await expectResult(handle, {
        status: 'delivered',
        attempts: ['smsbat:failed', 'reach:failed', 'email:delivered'],
      });
      return { '': handle.workflowId };
    },
  },
  {
    path: 'timeout',
    async run(ctx) {
      const handle = await message(ctx, 'timeout', {
        recipient: { phone: phone('999'), email: 'timeout@example.com' },
        text,
        // The provider keeps trying past the step (no ttl of 4 s), so the step's own timer ends it.
        steps: [{ ...steps.smsbat('4s'), pollAfter: '1s', providerExpiry: 'flow' as const }, steps.email()],
      });
      await expectResult(handle, { status: 'delivered', attempts: ['smsbat:timed_out', 'email:delivered'] });
      return { '': handle.workflowId };
    },
  },
  {
    path: 'ttl',
    async run(ctx) {
      const handle = await message(ctx, 'ttl', {
        recipient: { phone: phone('999') },
        text,
        steps: [steps.smsbat('3s'), steps.reach('1m')],
        ttl: '6s',
      });
      await expectResult(handle, { status: 'expired' });
      return { '': handle.workflowId };
    },
  },
  {
    path: 'send-at',
    async run(ctx) {
      const handle = await message(ctx, 'send-at', {
        recipient: { phone: phone() },
        text,
        steps: [steps.reach()],
        sendAt: new Date(Date.now() + 3000).toISOString(),
        // The TTL runs from the first send, after the scheduled wait.
        ttl: '1m',
      });
      await expectResult(handle, { status: 'delivered', attempts: ['reach:delivered'] });
      return { '': handle.workflowId };
    },
  },
  {
    path: 'cancel',
    async run(ctx) {
      const to = phone('999');
      const handle = await message(ctx, 'cancel', {
        recipient: { phone: to },
        text,
        steps: [steps.smsbat('1m'), steps.reach()],
      });
      await until(() => ctx.sim.messages('smsbat').some((m) => m.recipient === to), 'send');
      await new Promise((r) => setTimeout(r, 500));
      await handle.signal(cancelSignal, { reason: 'recorded' });
      await expectResult(handle, { status: 'canceled' });
      return { '': handle.workflowId };
    },
  },
  {
    path: 'late-receipt',
    async run(ctx) {
      // SMSBAT's receipt is withheld until Reach has taken over; it still lands in the result.
      const to = phone();
      ctx.sim.script({ recipient: to, provider: 'smsbat', outcome: { kind: 'pending' }, receipt: 'withhold' });
      ctx.sim.script({ recipient: to, provider: 'reach', outcome: { kind: 'pending' }, receipt: 'withhold' });
      const handle = await message(ctx, 'late-receipt', {
        recipient: { phone: to },
        text,
        steps: [
          // The late receipt needs a provider that still delivers after the step: the flow's expiry.
          { ...steps.smsbat('3s'), pollAfter: '10s', providerExpiry: 'flow' as const },
          { ...steps.reach('1m'), pollAfter: '30s' },
        ],
      });
      await until(() => ctx.sim.messages('reach').some((m) => m.recipient === to), 'the fallback send');
      const first = ctx.sim.messages('smsbat').find((m) => m.recipient === to)!;
      ctx.sim.settle('smsbat', first.messageId, 'delivered');
      await new Promise((r) => setTimeout(r, 1500));
      ctx.sim.settle('reach', ctx.sim.messages('reach').find((m) => m.recipient === to)!.messageId, 'delivered');
      await expectResult(handle, { status: 'delivered', attempts: ['smsbat:delivered', 'reach:delivered'] });
      return { '': handle.workflowId };
    },
  },
  {
    path: 'receipt-signal',
    async run(ctx) {
      // A receipt signalled directly (what a custom receiver would do) settles the step.
      const to = phone();
      ctx.sim.script({ recipient: to, provider: 'reach', outcome: { kind: 'pending' }, receipt: 'withhold' });
      const handle = await message(ctx, 'receipt-signal', { recipient: { phone: to }, text, steps: [steps.reach()] });
      await until(() => ctx.sim.messages('reach').some((m) => m.recipient === to), 'send');
      const { messageId } = ctx.sim.messages('reach').find((m) => m.recipient === to)!;
      await new Promise((r) => setTimeout(r, 500));
      await handle.signal(receiptSignal, {
        provider: 'reach',
        providerMessageId: messageId,
        state: 'delivered',
        rawStatus: 'delivered',
      });
      await done(handle);
      return { '': handle.workflowId };
    },
  },

  {
    path: 'direct-start',
    async run(ctx) {
      // Started without CascadeClient: the worker checks the input before anything is sent.
      const handle = await ctx.client.workflow.start('deliverMessage', {
        taskQueue: ctx.taskQueue,
        workflowId: `deliver:${trackingId('direct')}`,
        args: [{ trackingId: trackingId('direct'), recipient: { phone: phone() }, text, steps: [steps.smsbat()] }],
      });
      await expectResult(handle, { status: 'delivered', attempts: ['smsbat:delivered'] });
      return { '': handle.workflowId };
    },
  },
  {
    path: 'invalid-input',
    async run(ctx) {
      const handle = await ctx.client.workflow.start('deliverMessage', {
        taskQueue: ctx.taskQueue,
        workflowId: `deliver:${trackingId('invalid')}`,
        args: [
          {
            trackingId: trackingId('invalid'),
            recipient: { phone: phone() },
            text,
            steps: [{ channel: 'reach', src: 'My-Shop' }],
          },
        ],
      });
      await done(handle);
      return { '': handle.workflowId };
    },
  },

  // ---- otpVerification ------------------------------------------------------------------------
  {
    path: 'otp-direct',
    async run(ctx) {
      // Started without the client: the flow asks the abuse guards itself, then sends.
      const to = `+38067${String(++phones).padStart(4, '0')}101`;
      const id = `otp:${trackingId('otp-direct')}`;
      const handle = await ctx.client.workflow.start('otpVerification', {
        taskQueue: ctx.taskQueue,
        workflowId: id,
        args: [
          {
            trackingId: id.slice(4),
            recipient: { phone: to },
            steps: [steps.smsbat()],
            template: 'Your code is {code}',
          },
        ],
      });
      await ctx.cascade.verifyOtp(id, await codeSentTo(ctx.sim, to));
      await done(handle);
      return { '': handle.workflowId };
    },
  },
  {
    path: 'otp-refused',
    async run(ctx) {
      // Over the recipient's quota (five an hour): the sixth direct start is refused by the flow itself.
      const to = `+38063${String(++phones).padStart(4, '0')}101`;
      let last = '';
      for (let i = 0; i < 6; i++) {
        last = `otp:${trackingId(`otp-refused-${i}`)}`;
        const handle = await ctx.client.workflow.start('otpVerification', {
          taskQueue: ctx.taskQueue,
          workflowId: last,
          args: [
            {
              trackingId: last.slice(4),
              recipient: { phone: to },
              steps: [steps.smsbat()],
              template: 'Code {code}',
              codeTtl: '2s',
            },
          ],
        });
        await done(handle);
      }
      return { '': last };
    },
  },
  {
    path: 'approved',
    async run(ctx) {
      const to = phone();
      const handle = await otp(ctx, 'approved', { recipient: { phone: to } });
      await ctx.cascade.verifyOtp(handle.workflowId, await codeSentTo(ctx.sim, to));
      await done(handle);
      return { '': handle.workflowId };
    },
  },
  {
    path: 'wrong-then-right',
    async run(ctx) {
      const to = phone();
      const handle = await otp(ctx, 'wrong-then-right', { recipient: { phone: to } });
      const code = await codeSentTo(ctx.sim, to);
      await ctx.cascade.verifyOtp(handle.workflowId, code === '000000' ? '111111' : '000000');
      await ctx.cascade.verifyOtp(handle.workflowId, code);
      await done(handle);
      return { '': handle.workflowId };
    },
  },
  {
    path: 'too-many-attempts',
    async run(ctx) {
      const to = phone();
      const handle = await otp(ctx, 'too-many-attempts', { recipient: { phone: to }, maxAttempts: 3 });
      const code = await codeSentTo(ctx.sim, to);
      for (let i = 0; i < 3; i++)
        await ctx.cascade.verifyOtp(handle.workflowId, code === '000000' ? '111111' : '000000');
      await done(handle);
      return { '': handle.workflowId };
    },
  },
  {
    path: 'expired',
    async run(ctx) {
      const handle = await otp(ctx, 'expired', { recipient: { phone: phone() }, codeTtl: '4s' });
      await done(handle);
      return { '': handle.workflowId };
    },
  },
  {
    path: 'resend',
    async run(ctx) {
      const to = phone();
      const handle = await otp(ctx, 'resend', { recipient: { phone: to }, resendCooldown: '1s' });
      await codeSentTo(ctx.sim, to);
      await new Promise((r) => setTimeout(r, 1500));
      await ctx.cascade.resendOtp(handle.workflowId);
      await ctx.cascade.verifyOtp(handle.workflowId, await codeSentTo(ctx.sim, to, 2));
      await done(handle);
      return { '': handle.workflowId };
    },
  },
  {
    path: 'resend-next-step',
    async run(ctx) {
      const to = phone();
      const handle = await otp(ctx, 'resend-next-step', {
        recipient: { phone: to, email: 'resend@example.com' },
        steps: [steps.smsbat(), steps.email()],
        resendCooldown: '1s',
      });
      await codeSentTo(ctx.sim, to);
      await new Promise((r) => setTimeout(r, 1500));
      await ctx.cascade.resendOtp(handle.workflowId, { nextStep: true });
      await ctx.cascade.verifyOtp(handle.workflowId, await codeSentTo(ctx.sim, 'resend@example.com'));
      await done(handle);
      return { '': handle.workflowId };
    },
  },
  {
    path: 'otp-cancel',
    async run(ctx) {
      const to = phone();
      const handle = await otp(ctx, 'otp-cancel', { recipient: { phone: to } });
      await codeSentTo(ctx.sim, to);
      await ctx.cascade.cancel(handle.workflowId, 'recorded');
      await done(handle);
      return { '': handle.workflowId };
    },
  },
  {
    path: 'otp-fallback',
    async run(ctx) {
      const to = phone('998');
      const handle = await otp(ctx, 'otp-fallback', {
        recipient: { phone: to, email: 'otp-fallback@example.com' },
        steps: [steps.smsbat(), steps.email()],
      });
      await ctx.cascade.verifyOtp(handle.workflowId, await codeSentTo(ctx.sim, 'otp-fallback@example.com'));
      await done(handle);
      return { '': handle.workflowId };
    },
  },

  // ---- limits -------------------------------------------------------------------------------
  {
    path: 'guard-conversion',
    async run(ctx) {
      // A flow the limit store admits (its conversion recorded), and one it refuses: the prefix blocked by an operator.
      const prefix = '+38050009';
      const admitted = await otp(ctx, 'guard-0', { recipient: { phone: `${prefix}00101` } }, ctx.strict);
      await ctx.strict.verifyOtp(admitted.workflowId, await codeSentTo(ctx.sim, `${prefix}00101`));
      await done(admitted);
      await ctx.strict.guard!.blockPrefix(prefix, 'recorder', 'recorded');
      const refused = trackingId('guard-refused');
      await ctx.strict
        .startOtp({
          trackingId: refused,
          recipient: { phone: `${prefix}9009101` },
          steps: [steps.smsbat()],
          template: 'Your code is {code}',
        })
        .catch(() => undefined);
      await ctx.strict.guard!.unblockPrefix(prefix, 'recorder', 'recorded');
      return { '': admitted.workflowId, refused: otpWorkflowId(refused) };
    },
  },

  // ---- bulkSend + bulkChunk -------------------------------------------------------------------
  {
    path: 'bulk',
    async run(ctx) {
      const input: BulkSendInput = {
        bulkId: `rec-bulk-${Date.now().toString(36)}`,
        step: { channel: 'smsbat', fromName: 'Shop' },
        messages: Array.from({ length: 30 }, (_, i) => ({
          id: `m${i}`,
          phone: `+3805001${String(i).padStart(5, '0')}`,
          text,
        })),
        batchSize: 10,
        ratePerSecond: 1000,
        trackFor: '20s',
      };
      // Through the client (validated), receipts pushed by webhook to the chunk.
      const { id } = await ctx.cascade.startBulk(input);
      const handle = ctx.client.workflow.getHandle(id);
      await done(handle);
      return { '': handle.workflowId, chunk: `${handle.workflowId}:chunk:0` };
    },
  },
  {
    path: 'bulk-pause-resume',
    async run(ctx) {
      const input: BulkSendInput = {
        bulkId: `rec-bulkp-${Date.now().toString(36)}`,
        step: { channel: 'reach', src: 'Shop' },
        messages: Array.from({ length: 12 }, (_, i) => ({
          id: `m${i}`,
          phone: `+3805002${String(i).padStart(5, '0')}`,
          text,
        })),
        batchSize: 2,
        ratePerSecond: 1,
        trackFor: '20s',
      };
      const handle = await ctx.client.workflow.start('bulkSend', {
        taskQueue: ctx.taskQueue,
        workflowId: `bulk:${input.bulkId}`,
        args: [input],
      });
      await until(async () => ((await handle.query(progressQuery).catch(() => undefined))?.sent ?? 0) >= 2, 'sends');
      await handle.signal(pauseSignal);
      await new Promise((r) => setTimeout(r, 2500));
      await handle.signal(resumeSignal);
      await done(handle);
      return { '': handle.workflowId, chunk: `${handle.workflowId}:chunk:0` };
    },
  },
  {
    path: 'bulk-cancel',
    async run(ctx) {
      const input: BulkSendInput = {
        bulkId: `rec-bulkc-${Date.now().toString(36)}`,
        step: { channel: 'smsbat', fromName: 'Shop' },
        messages: Array.from({ length: 20 }, (_, i) => ({
          id: `m${i}`,
          phone: `+3805003${String(i).padStart(5, '0')}`,
          text,
        })),
        batchSize: 2,
        ratePerSecond: 1,
        trackFor: '20s',
      };
      const handle = await ctx.client.workflow.start('bulkSend', {
        taskQueue: ctx.taskQueue,
        workflowId: `bulk:${input.bulkId}`,
        args: [input],
      });
      await until(async () => ((await handle.query(progressQuery).catch(() => undefined))?.sent ?? 0) >= 2, 'sends');
      await handle.signal(cancelSignal);
      await done(handle);
      return { '': handle.workflowId, chunk: `${handle.workflowId}:chunk:0` };
    },
  },
  {
    path: 'bulk-direct-invalid',
    async run(ctx) {
      // Started without the client (checked by the worker), one recipient refused by SMSBAT.
      const bad = '+380500123456';
      ctx.sim.script({
        provider: 'smsbat',
        recipient: bad,
        outcome: { kind: 'reject', status: 400, code: 'INVALID_PHONE', field: 'toPhone' },
      });
      const input: BulkSendInput = {
        bulkId: `rec-bulkd-${Date.now().toString(36)}`,
        step: { channel: 'smsbat', fromName: 'Shop' },
        messages: [
          ...Array.from({ length: 7 }, (_, i) => ({
            id: `d${i}`,
            phone: `+3805005${String(i).padStart(5, '0')}`,
            text,
          })),
          { id: 'bad', phone: bad, text },
        ],
        ratePerSecond: 1000,
        trackFor: '20s',
      };
      const handle = await ctx.client.workflow.start('bulkSend', {
        taskQueue: ctx.taskQueue,
        workflowId: `bulk:${input.bulkId}`,
        args: [input],
      });
      await done(handle);
      return { '': handle.workflowId, chunk: `${handle.workflowId}:chunk:0` };
    },
  },
  {
    path: 'bulk-continue-as-new',
    async run(ctx) {
      const path = join(ctx.files, 'campaign.csv');
      const rows = Array.from({ length: 5001 }, (_, i) => `m${i},+3805004${String(i).padStart(5, '0')},${text}`);
      writeFileSync(path, `id,phone,text\n${rows.join('\n')}\n`);
      const bulkId = `rec-bulkcan-${Date.now().toString(36)}`;
      const handle = await ctx.client.workflow.start('bulkSend', {
        taskQueue: ctx.taskQueue,
        workflowId: `bulk:${bulkId}`,
        args: [
          { bulkId, step: { channel: 'reach', src: 'Shop' }, file: { path }, ratePerSecond: 5000, trackFor: '20s' },
        ],
      });
      const first = handle.workflowId;
      const firstRun = (await handle.describe()).runId;
      await done(handle);
      return { '': first, 'first-run': `${first}@${firstRun}`, chunk: `${first}:chunk:5000` };
    },
  },
];

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
