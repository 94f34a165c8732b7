import { createRequire } from 'node:module';
import { historyFromJSON as sdkHistoryFromJSON, type History } from '@temporalio/common/lib/proto-utils';
import * as proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';

/**
 * A JSON history (`temporal workflow show --output json`, the Web UI's download, our recorded
 * histories) as the History object `Worker.runReplayHistory` takes — in any npm tree.
 *
 * Why not the SDK's own `historyFromJSON`: from SDK 1.23 on, @temporalio/common and
 * @temporalio/proto each depend on protobufjs 8 while @grpc/proto-loader takes protobufjs 7, and
 * npm gives the top-level slot to 7 in an app's tree. @temporalio/common and @temporalio/proto
 * then get a copy of protobufjs 8 each, and common's protojson refuses proto's History type
 * (`TypeError: type must be a Type`, an `instanceof` across two copies). Nothing a dependency
 * declares changes where npm hoists; only the app's own `protobufjs@^8` dependency would. So when
 * the SDK's function hits that, the same conversion runs on the protojson of @temporalio/proto's
 * own protobufjs copy, the one its types were built with.
 */
export function historyFromJSON(history: unknown): History {
  try {
    return sdkHistoryFromJSON(history);
  } catch (err) {
    if (!(err instanceof TypeError) || err.message !== 'type must be a Type') throw err;
  }
  return historyFromJSONWithProtoProtobuf(history);
}

/** The fallback on its own (exported for its test): protojson of @temporalio/proto's protobufjs. */
export function historyFromJSONWithProtoProtobuf(history: unknown): History {
  const { fromJson, historyType } = (ownProtobuf ??= loadOwnProtobuf());
  const loaded = fromJson(historyType, fixHistory(history), { ignoreUnknownFields: true });
  if (loaded === null) throw new TypeError('Invalid history');
  return loaded as History;
}

interface OwnProtobuf {
  fromJson(type: unknown, json: unknown, options?: { ignoreUnknownFields?: boolean }): unknown;
  historyType: unknown;
}

let ownProtobuf: OwnProtobuf | undefined;

/** protobufjs's protojson (protobufjs ≥ 8) as @temporalio/proto resolves it, and proto's History type. */
function loadOwnProtobuf(): OwnProtobuf {
  const requireFromProto = createRequire(require.resolve('@temporalio/proto/package.json'));
  const { fromJson } = requireFromProto('protobufjs/ext/protojson') as Pick<OwnProtobuf, 'fromJson'>;
  const root = patchProtobufRoot(proto) as unknown as { lookupType(name: string): unknown };
  return { fromJson, historyType: root.lookupType('temporal.api.history.v1.History') };
}

// What the SDK's historyFromJSON does before parsing (@temporalio/common/src/proto-utils.ts, MIT):
// older tools write enum values in PascalCase without their prefix ("WorkflowExecutionStarted").
type JsonObject = Record<string, unknown>;

function fixHistory(history: unknown): { events: JsonObject[] } {
  const events = (history as { events?: unknown } | null)?.events;
  if (typeof history !== 'object' || history === null || !Array.isArray(events)) {
    throw new TypeError('Invalid history, expected an object with an array of events');
  }
  return { events: (events as JsonObject[]).map(fixEvent) };
}

function fixEvent(event: JsonObject): JsonObject {
  const type = Object.keys(event).find((k) => k.endsWith('EventAttributes'));
  if (!type) throw new TypeError(`Missing attributes in history event: ${JSON.stringify(event)}`);
  const attributes = event[type] as JsonObject;
  const taskQueue = attributes.taskQueue as JsonObject | undefined;
  const childFailure = attributes.childWorkflowExecutionFailureInfo as JsonObject | undefined;
  return {
    ...event,
    ...fixEnum(event, 'eventType', 'EVENT_TYPE'),
    [type]: {
      ...attributes,
      ...(taskQueue && { taskQueue: { ...taskQueue, ...fixEnum(taskQueue, 'kind', 'TASK_QUEUE_KIND') } }),
      ...fixEnum(attributes, 'parentClosePolicy', 'PARENT_CLOSE_POLICY'),
      ...fixEnum(attributes, 'workflowIdReusePolicy', 'WORKFLOW_ID_REUSE_POLICY'),
      ...fixEnum(attributes, 'initiator', 'CONTINUE_AS_NEW_INITIATOR'),
      ...fixEnum(attributes, 'retryState', 'RETRY_STATE'),
      ...(childFailure && {
        childWorkflowExecutionFailureInfo: { ...childFailure, ...fixEnum(childFailure, 'retryState', 'RETRY_STATE') },
      }),
    },
  };
}

function fixEnum(obj: JsonObject, attr: string, prefix: string): JsonObject | undefined {
  const value = obj[attr];
  if (typeof value !== 'string' || !value) return undefined;
  return { [attr]: value.startsWith(prefix) ? value : `${prefix}_${constantCase(value)}` };
}

function constantCase(s: string): string {
  return s.replace(/[^\b][A-Z]/g, (m) => `${m[0]}_${m[1]}`).toUpperCase();
}
