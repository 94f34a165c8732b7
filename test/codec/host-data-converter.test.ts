import { randomBytes, randomUUID } from 'node:crypto';
import { Client, WorkflowFailedError } from '@temporalio/client';
import { type DataConverter, defaultPayloadConverter, type Payload } from '@temporalio/common';
import { type TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { CascadeClientPlugin } from '../../src/client/plugin';
import { EncryptionCodec } from '../../src/codec/encryption-codec';
import { parseKeyRing } from '../../src/codec/keys';
import { loadConfig } from '../../src/config';
import { startSimulator, type Simulator } from '../../src/sim/server';
import { createLocalEnvironment } from '../../src/testing/environment';
import { CascadePlugin } from '../../src/worker/plugin';
import { deliverMessage } from '../../src/workflows';
import { simEnv, uniqueId, uniquePhone } from '../support/cascade';
import { finishHostFlow, hostFlow, type HostActivities } from '../support/fixture-workflows';
import { HOST_FAILURE_MARK } from '../support/host-failure-converter';

// The host's codec writes the same `binary/encrypted` encoding and key id as ours, with its own
// key: its other services know only this codec.
const hostCodec = new EncryptionCodec(parseKeyRing(`k1:${randomBytes(32).toString('base64')}`));
const hostConverter: DataConverter = {
  payloadCodecs: [hostCodec],
  failureConverterPath: require.resolve('../support/host-failure-converter'),
};
const OUR_KEYS = `k1:${randomBytes(32).toString('base64')}`;

/** Every payload in a history, decoded with the given codec alone, as JSON values. */
async function readWith(codec: EncryptionCodec, history: unknown): Promise<unknown[]> {
  const found: Payload[] = [];
  const visit = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    if (node instanceof Uint8Array) return;
    const o = node as Record<string, unknown>;
    if (o.metadata && typeof o.metadata === 'object' && 'encoding' in (o.metadata as object) && 'data' in o) {
      found.push(o as Payload);
      return;
    }
    for (const v of Object.values(o)) visit(v);
  };
  visit(history);
  const decoded = await codec.decode(found);
  return decoded.map((p) => defaultPayloadConverter.fromPayload(p));
}

/**
 * A host app that encrypts its payloads with its own codec and has its own failure converter,
 * workflows and activities, adds the plugin: its codec and converter stay in force, its flows
 * (one started before the plugin) run on, and everything is readable with its codec alone.
 */
describe("a host app's own data converter (dev server)", () => {
  let env: TestWorkflowEnvironment;
  let sim: Simulator;
  const taskQueue = `host-${randomUUID()}`;
  const codePath = process.env.TEMPORAL_CASCADE_TEST_BUNDLE!;
  const hostActivities: HostActivities = { hostSend: async ({ to }) => `sent to ${to}` };

  beforeAll(async () => {
    sim = await startSimulator({ deliveryDelayMs: 0, smtpPort: false });
    env = await createLocalEnvironment();
  });
  afterAll(async () => {
    await sim?.close();
    await env?.teardown();
  });

  test('its flows run on with its codec and failure converter; ours beside them; all readable with its codec alone', async () => {
    const hostClient = new Client({ connection: env.connection, dataConverter: hostConverter });
    const before = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: { codePath },
      activities: hostActivities,
      dataConverter: hostConverter,
    });
    // Started before the plugin is added: its activity ran, it waits for a signal.
    const early = await before.runUntil(async () => {
      const handle = await hostClient.workflow.start(hostFlow, {
        taskQueue,
        workflowId: uniqueId('host-early'),
        args: [{ to: 'ann' }],
      });
      for (let i = 0; ; i++) {
        const { events } = await handle.fetchHistory();
        if (events!.some((e) => e.activityTaskCompletedEventAttributes)) break;
        if (i > 400) throw new Error('the host activity did not complete');
        await new Promise((r) => setTimeout(r, 25));
      }
      return handle;
    });
    const recordedBefore = await early.fetchHistory();

    const plugin = () =>
      new CascadePlugin({
        config: loadConfig({ ...simEnv(sim), CASCADE_ENCRYPTION_KEYS: OUR_KEYS, TEMPORAL_TASK_QUEUE: taskQueue }),
      });
    const after = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: { codePath },
      activities: hostActivities,
      dataConverter: hostConverter,
      plugins: [plugin()],
    });
    const client = new Client({
      connection: env.connection,
      dataConverter: hostConverter,
      plugins: [new CascadeClientPlugin({ config: { encryption: parseKeyRing(OUR_KEYS) } })],
    });
    const phone = uniquePhone();
    const text = `Parcel ${randomUUID()}`;
    const { earlyResult, lateResult, ourResult, refused, ourId, lateId } = await after.runUntil(async () => {
      await client.workflow.getHandle(early.workflowId).signal(finishHostFlow);
      const late = await client.workflow.start(hostFlow, {
        taskQueue,
        workflowId: uniqueId('host-late'),
        args: [{ to: 'bob' }],
      });
      await late.signal(finishHostFlow);
      const ours = await client.workflow.start(deliverMessage, {
        taskQueue,
        workflowId: `deliver:${uniqueId('beside-host')}`,
        args: [
          { trackingId: uniqueId('t'), recipient: { phone }, text, steps: [{ channel: 'smsbat', fromName: 'Shop' }] },
        ],
      });
      const failing = await client.workflow.start(hostFlow, {
        taskQueue,
        workflowId: uniqueId('host-fail'),
        args: [{ to: 'eve', fail: true }],
      });
      return {
        earlyResult: await client.workflow.getHandle<typeof hostFlow>(early.workflowId).result(),
        lateResult: await late.result(),
        ourResult: await ours.result(),
        refused: await failing.result().catch((err: unknown) => err),
        ourId: ours.workflowId,
        lateId: late.workflowId,
      };
    });
    expect(earlyResult).toBe('sent to ann; finished');
    expect(lateResult).toBe('sent to bob; finished');
    expect(ourResult.status).toBe('delivered');
    expect(
      sim
        .messages('smsbat')
        .filter((m) => m.recipient === phone)
        .map((m) => m.text),
    ).toEqual([text]);
    // The host's failure converter turned the failure into an error on its client.
    expect(refused).toBeInstanceOf(WorkflowFailedError);
    expect(((refused as WorkflowFailedError).cause as Error).message).toBe(
      `${HOST_FAILURE_MARK} host refused the order`,
    );

    // Read with nothing but the host's codec (a plain client, then the codec by hand).
    const read = async (id: string) =>
      JSON.stringify(await readWith(hostCodec, await env.client.workflow.getHandle(id).fetchHistory()));
    expect(await read(early.workflowId)).toContain('sent to ann; finished');
    expect(await read(lateId)).toContain('"to":"bob"');
    const ourHistory = await read(ourId);
    expect(ourHistory).toContain(phone);
    expect(ourHistory).toContain(text);

    // The history recorded before the plugin, and the whole one after, replay on the plugin's worker.
    const replayPlugin = plugin();
    try {
      for (const history of [recordedBefore, await env.client.workflow.getHandle(early.workflowId).fetchHistory()]) {
        await Worker.runReplayHistory(
          { workflowBundle: { codePath }, dataConverter: hostConverter, plugins: [replayPlugin] },
          history,
          early.workflowId,
        );
      }
    } finally {
      await replayPlugin.close();
    }
  }, 120_000);
});
