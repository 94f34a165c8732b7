import { type Client } from '@temporalio/client';
import { defaultPayloadConverter, type DataConverter, type Payload } from '@temporalio/common';

/** The client's data converter cannot read or write what the workers do. Exit code 4, before anything starts. */
export class CodecMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CodecMismatchError';
  }
}

const ENCRYPTED = 'binary/encrypted';

/**
 * Checks, before the CLI starts or asks anything, that its payload codec works (a round trip) and
 * matches the workers' (the newest flow on the task queue is decoded): a mismatch would otherwise
 * show only after a send, when the result cannot be read, and a retrying script would send twice.
 */
export async function checkCodec(
  client: Client,
  dataConverter: DataConverter | undefined,
  taskQueue: string,
): Promise<void> {
  const codecs = dataConverter?.payloadCodecs ?? [];
  const decode = async (payloads: Payload[]) => {
    for (const codec of [...codecs].reverse()) payloads = await codec.decode(payloads);
    return payloads;
  };
  try {
    let payloads = [defaultPayloadConverter.toPayload({ probe: 'temporal-cascade' })];
    for (const codec of codecs) payloads = await codec.encode(payloads);
    await decode(payloads);
  } catch (err) {
    throw new CodecMismatchError(`the payload codec does not work: ${(err as Error).message}`);
  }

  const sample = await newestInput(client, taskQueue).catch(() => undefined);
  if (!sample) return;
  const encrypted = encodingOf(sample) === ENCRYPTED;
  if (encrypted && codecs.length === 0) {
    throw new CodecMismatchError(
      `the workers on task queue "${taskQueue}" encrypt payloads and this client has no keys: set CASCADE_ENCRYPTION_KEYS (or CASCADE_ENCRYPTION_KEY_FILE) to theirs`,
    );
  }
  if (!encrypted && codecs.length > 0) {
    throw new CodecMismatchError(
      `the workers on task queue "${taskQueue}" store payloads in clear: set CASCADE_ENCRYPTION=off and unset CASCADE_ENCRYPTION_KEYS, or give the workers the keys`,
    );
  }
  try {
    await decode([sample]);
  } catch (err) {
    throw new CodecMismatchError(
      `cannot decode the workers' payloads on task queue "${taskQueue}" (${(err as Error).message}): CASCADE_ENCRYPTION_KEYS must hold the key they encrypt with`,
    );
  }
}

/** The input payload of the newest flow on the task queue, if any. */
async function newestInput(client: Client, taskQueue: string): Promise<Payload | undefined> {
  for await (const execution of client.workflow.list({ query: `TaskQueue = "${taskQueue}"`, pageSize: 1 })) {
    const { history } = await client.workflowService.getWorkflowExecutionHistory({
      namespace: client.options.namespace,
      execution: { workflowId: execution.workflowId, runId: execution.runId },
      maximumPageSize: 1,
    });
    return (history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0] ?? undefined) as
      Payload | undefined;
  }
  return undefined;
}

function encodingOf(payload: Payload): string | undefined {
  const raw = payload.metadata?.encoding;
  return raw ? Buffer.from(raw).toString('utf8') : undefined;
}
