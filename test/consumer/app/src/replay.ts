// `node build/src/replay.js <history.json> <workflowId> <bundle-out.js>`: builds the workflow
// bundle a production worker of this app loads, writes it out, and replays a recorded JSON history
// on it. Prints one JSON line; exits non-zero when the history does not replay.
import { readFileSync, writeFileSync } from 'node:fs';
import { historyFromJSON as sdkHistoryFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { historyFromJSON } from 'temporal-cascade/testing';
import { bundleCascadeWorkflows } from 'temporal-cascade/worker';

async function main([historyFile, workflowId, bundleOut]: string[]): Promise<void> {
  if (!historyFile || !workflowId || !bundleOut)
    throw new Error('usage: replay <history.json> <workflowId> <bundle-out.js>');
  const workflowBundle = await bundleCascadeWorkflows();
  writeFileSync(bundleOut, workflowBundle.code);
  const json: unknown = JSON.parse(readFileSync(historyFile, 'utf8'));
  // The SDK's own conversion, for the report: it fails in trees with two copies of protobufjs 8.
  let sdk = 'ok';
  try {
    sdkHistoryFromJSON(json);
  } catch (err) {
    sdk = (err as Error).message;
  }
  const history = historyFromJSON(json);
  await Worker.runReplayHistory({ workflowBundle, replayName: 'consumer-replay' }, history, workflowId);
  console.log(JSON.stringify({ replayed: true, events: history.events?.length ?? 0, sdkHistoryFromJSON: sdk }));
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
