// `node build/src/host-app.js` with TEMPORAL_ADDRESS (and TEMPORAL_NAMESPACE) set: a host app that
// already runs Temporal with its own payload codec, failure converter, workflow (`hostFlow`) and
// activity (`sendStep`) adds temporal-cascade's plugin to its worker and client. Prints one JSON
// line: how its flows ran before and after, whether everything is readable with its codec alone,
// whether a history recorded before the plugin replays after, and an OTP flow of ours beside it.
import { randomBytes, randomUUID } from 'node:crypto';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { type DataConverter, defaultPayloadConverter, type Payload } from '@temporalio/common';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { CascadeClient, CascadeClientPlugin, loadClientConfig } from 'temporal-cascade/client';
import { SIM_CREDENTIALS, startSimulator } from 'temporal-cascade/sim';
import { createCascadePlugin, loadConfig } from 'temporal-cascade/worker';
import { HostCodec } from './host-codec';
import { HOST_FAILURE_MARK } from './host-failure-converter';
import { finishHostFlow, hostFlow, type HostActivities } from './host-workflows';

const hostCodec = new HostCodec('test-key-id', randomBytes(32));
const hostConverter: DataConverter = {
  payloadCodecs: [hostCodec],
  failureConverterPath: require.resolve('./host-failure-converter'),
};
const hostActivities: HostActivities = { sendStep: async ({ to }) => `host sent to ${to}` };

/** Every payload of a history, decoded with the host's codec alone; throws when one cannot be. */
async function readWithHostCodec(history: unknown): Promise<string> {
  const found: Payload[] = [];
  const visit = (node: unknown): void => {
    if (!node || typeof node !== 'object' || node instanceof Uint8Array) return;
    const o = node as Record<string, unknown>;
    if (o.metadata && typeof o.metadata === 'object' && 'encoding' in o.metadata && 'data' in o) {
      found.push(o as Payload);
      return;
    }
    for (const v of Object.values(o)) visit(v);
  };
  visit(history);
  const decoded = await hostCodec.decode(found);
  return JSON.stringify(decoded.map((p) => defaultPayloadConverter.fromPayload(p)));
}

async function outcome<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: string }> {
  try {
    return { ok: true, value: await p };
  } catch (err) {
    const cause = err instanceof WorkflowFailedError ? err.cause : err;
    return { ok: false, error: (cause as Error)?.message ?? String(cause) };
  }
}

async function main(): Promise<void> {
  // Quiet: the host's output is its JSON line (and warnings).
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const address = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
  const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
  const taskQueue = `host-${randomUUID()}`;
  const otpSecret = randomBytes(32).toString('hex');
  const ourKeys = `k1:${randomBytes(32).toString('base64')}`;
  const sim = await startSimulator({ deliveryDelayMs: 0, smtpPort: false });
  const connection = await Connection.connect({ address });
  const native = await NativeConnection.connect({ address });
  const workerOptions = {
    connection: native,
    namespace,
    taskQueue,
    workflowsPath: require.resolve('./host-workflows'),
    activities: hostActivities,
    dataConverter: hostConverter,
  };
  const plugin = () =>
    createCascadePlugin({
      config: loadConfig({
        TEMPORAL_ADDRESS: address,
        TEMPORAL_NAMESPACE: namespace,
        TEMPORAL_TASK_QUEUE: taskQueue,
        CASCADE_ENCRYPTION_KEYS: ourKeys,
        CASCADE_OTP_SECRET: otpSecret,
        SMSBAT_BASE_URL: sim.url,
        SMSBAT_API_KEY: SIM_CREDENTIALS.smsbat.apiKey,
      }),
    });
  try {
    // Before: the host app alone. A flow starts, runs its activity and waits.
    const hostClient = new Client({ connection, namespace, dataConverter: hostConverter });
    const before = await Worker.create(workerOptions);
    const early = await before.runUntil(async () => {
      const handle = await hostClient.workflow.start(hostFlow, {
        taskQueue,
        workflowId: `host-early-${randomUUID()}`,
        args: [{ to: 'ann' }],
      });
      for (let i = 0; ; i++) {
        const { events } = await handle.fetchHistory();
        if (events?.some((e) => e.activityTaskCompletedEventAttributes)) return handle;
        if (i > 600) throw new Error('the host activity did not complete before the plugin was added');
        await new Promise((r) => setTimeout(r, 50));
      }
    });
    const recordedBefore = await early.fetchHistory();

    // After: the plugin on the same worker and client.
    const client = new Client({
      connection,
      namespace,
      dataConverter: hostConverter,
      plugins: [new CascadeClientPlugin({ config: loadClientConfig({ CASCADE_ENCRYPTION_KEYS: ourKeys }) })],
    });
    const cascade = new CascadeClient({ client, taskQueue, otpSecret });
    const after = await Worker.create({ ...workerOptions, plugins: [plugin()] });
    const phone = '+380501234568';
    const ran = await after.runUntil(async () => {
      await client.workflow.getHandle(early.workflowId).signal(finishHostFlow);
      const late = await client.workflow.start(hostFlow, {
        taskQueue,
        workflowId: `host-late-${randomUUID()}`,
        args: [{ to: 'bob' }],
      });
      await late.signal(finishHostFlow);
      const failing = await client.workflow.start(hostFlow, {
        taskQueue,
        workflowId: `host-fail-${randomUUID()}`,
        args: [{ to: 'eve', fail: true }],
      });
      const otp = await cascade.startOtp({
        trackingId: `login-${randomUUID()}`,
        recipient: { phone },
        steps: [{ channel: 'smsbat', fromName: 'HostApp' }],
        template: 'Your HostApp code is {code}',
      });
      let code: string | undefined;
      for (let i = 0; !code && i < 600; i++) {
        code = sim
          .messages('smsbat')
          .find((m) => m.recipient === phone)
          ?.text?.match(/\b(\d{6})\b/)?.[1];
        if (!code) await new Promise((r) => setTimeout(r, 50));
      }
      const verified = code ? (await cascade.verifyOtp(otp.id, code)).status : 'no code arrived';
      return {
        early: await outcome(client.workflow.getHandle<typeof hostFlow>(early.workflowId).result()),
        late: await outcome(late.result()),
        failure: await outcome(failing.result()),
        otp: { id: otp.id, verified },
        lateId: late.workflowId,
      };
    });

    // Read with nothing but the host's codec: every payload of every flow, ours included.
    const readable: Record<string, boolean> = {};
    let ourHistoryHasPhone = false;
    for (const [name, id] of [
      ['early', early.workflowId],
      ['late', ran.lateId],
      ['otp', ran.otp.id],
    ] as const) {
      try {
        const text = await readWithHostCodec(await hostClient.workflow.getHandle(id).fetchHistory());
        readable[name] = true;
        if (name === 'otp') ourHistoryHasPhone = text.includes(phone);
      } catch {
        readable[name] = false;
      }
    }

    // Histories recorded before the plugin, and the finished one, replay on the plugin's worker.
    const replayPlugin = plugin();
    let replayed: true | string = true;
    try {
      const histories = [recordedBefore, await early.fetchHistory()].map((history) => ({
        workflowId: early.workflowId,
        history,
      }));
      for await (const result of Worker.runReplayHistories(
        { workflowsPath: require.resolve('./host-workflows'), dataConverter: hostConverter, plugins: [replayPlugin] },
        histories,
      )) {
        if (result.error) throw result.error;
      }
    } catch (err) {
      replayed = (err as Error).message;
    } finally {
      await replayPlugin.close();
    }

    console.log(
      JSON.stringify({
        hostFailureConverter:
          !ran.failure.ok && ran.failure.error === `${HOST_FAILURE_MARK} the host refused the order`,
        failure: ran.failure,
        readable,
        ourHistoryHasPhone,
        replayed,
        otp: ran.otp.verified,
        early: ran.early,
        late: ran.late,
      }),
    );
  } finally {
    await connection.close();
    await native.close();
    await sim.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
