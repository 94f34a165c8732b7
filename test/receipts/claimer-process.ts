/**
 * A second process for the SQLite race test: opens the index file, waits for `go` on stdin, claims
 * the given ids in small batches (the order given), then prints the ids whose receipts its claims
 * were handed, as one JSON line. Run with `node --import tsx claimer-process.ts <file> <ids-json>`.
 */
import Database from 'better-sqlite3';
import { SqliteReceiptIndex } from '../../src/receipts/sqlite';

async function main(): Promise<void> {
  const [file, idsJson] = process.argv.slice(2);
  const ids: string[] = JSON.parse(idsJson);
  const index = new SqliteReceiptIndex(new Database(file));
  process.stdout.write('ready\n');
  await new Promise((resolve) => process.stdin.once('data', resolve));

  const handedOver: string[] = [];
  for (let i = 0; i < ids.length;) {
    const batch = ids.slice(i, (i += 1 + Math.floor(Math.random() * 4)));
    const handed = await index.claim(
      'smsbat',
      batch.map((messageId) => ({ messageId, owner: { kind: 'flow', workflowId: `wf-${messageId}` } })),
    );
    handedOver.push(...handed.keys());
    await new Promise(setImmediate);
  }
  process.stdout.write(`${JSON.stringify(handedOver)}\n`);
  await index.close();
  process.stdin.destroy();
}

void main();
