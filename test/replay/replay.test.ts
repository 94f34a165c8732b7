import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON } from '../../src/testing/replay';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import { encryptedDataConverter } from '../../src/codec/data-converter';
import { parseKeyRing } from '../../src/codec/keys';

/**
 * Upgrade safety: every history a released version recorded (`npm run histories:record`, one
 * folder per version under histories/) replays on the current workflow code, with the bundle and
 * data converter a production worker uses. A failure names the history, its workflow type and the
 * first command that no longer matches.
 */
const ROOT = join(__dirname, 'histories');

interface Manifest {
  histories: { file: string; workflowId: string }[];
}

const histories = readdirSync(ROOT).flatMap((version) => {
  const manifest = JSON.parse(readFileSync(join(ROOT, version, 'manifest.json'), 'utf8')) as Manifest;
  return manifest.histories.map(({ file, workflowId }) => {
    const json = JSON.parse(readFileSync(join(ROOT, version, file), 'utf8'));
    const type: string = json.events[0].workflowExecutionStartedEventAttributes.workflowType.name;
    // The workflow id is part of what replays (child ids, idempotency keys derive from it).
    return { name: `${version}/${file}`, type, workflowId, json };
  });
});

describe('released histories replay on the current workflow code', () => {
  let workflowBundle: { code: string };
  beforeAll(async () => {
    // What `npm run build:bundle` ships to production workers.
    workflowBundle = await bundleWorkflowCode({
      workflowsPath: require.resolve('../../src/workflows'),
      logger: new DefaultLogger('WARN'),
    });
  });

  test('every workflow type has recorded histories', () => {
    const types = new Set(histories.map((h) => h.type));
    for (const type of ['deliverMessage', 'otpVerification', 'bulkSend', 'bulkChunk', 'receiptRouter', 'abuseGuard']) {
      expect(types).toContain(type);
    }
  });

  test('all of them replay without a nondeterminism error', async () => {
    const failures: string[] = [];
    const results = Worker.runReplayHistories(
      {
        workflowBundle,
        // Production workers encrypt; recorded histories hold clear payloads, which the codec passes through.
        dataConverter: encryptedDataConverter(parseKeyRing(`replay:${randomBytes(32).toString('base64')}`)),
        replayName: 'cascade-replay',
      },
      histories.map((h) => ({ workflowId: h.workflowId, history: historyFromJSON(h.json) })),
    );
    let i = 0;
    // Results come back in the order the histories went in.
    for await (const result of results) {
      const h = histories[i++];
      if (result.error) failures.push(`${h.name} (${h.type}): ${firstMismatch(result.error.message)}`);
    }
    expect(i).toBe(histories.length);
    expect(failures).toEqual([]);
  });
});

/** Core's message buries the mismatch in a Rust debug dump: keep the sentence that names the command. */
function firstMismatch(message: string): string {
  return /Nondeterminism error: (.*?)(?:\\?"|, source:|$)/.exec(message)?.[1] ?? message;
}
