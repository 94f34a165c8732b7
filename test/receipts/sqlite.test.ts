import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { ReceiptIndexSchemaError } from '../../src/receipts/errors';
import { SqliteReceiptIndex } from '../../src/receipts/sqlite';
import { describeReceiptIndexContract, flow, receipt } from './contract';

let dir: string;
let files = 0;
const newFile = () => join(dir, `index-${++files}.sqlite`);
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cascade-receipts-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SqliteReceiptIndex', () => {
  describeReceiptIndexContract(async () => {
    const file = newFile();
    return { open: async (options) => new SqliteReceiptIndex(new Database(file), options) };
  });

  it('puts its file in WAL mode with a versioned schema', async () => {
    const file = newFile();
    await new SqliteReceiptIndex(new Database(file)).close();
    const db = new Database(file, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    db.close();
  });

  it('refuses a file written by a newer schema', () => {
    const file = newFile();
    const db = new Database(file);
    db.pragma('user_version = 99');
    db.close();
    expect(() => new SqliteReceiptIndex(new Database(file))).toThrow(ReceiptIndexSchemaError);
  });

  it('delivers every receipt exactly once when another process claims while this one routes', async () => {
    const file = newFile();
    const router = new SqliteReceiptIndex(new Database(file));
    // Both processes take the ids in the same order, as receipts come back in about the order the
    // sends were claimed: that keeps them on the same ids at the same moment, where a race would show.
    const ids = Array.from({ length: 300 }, (_, n) => `race-${n}`);
    const claimer = spawn(
      process.execPath,
      ['--import', 'tsx', join(__dirname, 'claimer-process.ts'), file, JSON.stringify(ids)],
      { cwd: join(__dirname, '..', '..'), stdio: ['pipe', 'pipe', 'inherit'] },
    );
    const exited = once(claimer, 'exit');
    const lines = readLines(claimer.stdout);
    expect(await lines.next()).toEqual({ done: false, value: 'ready' });
    claimer.stdin.write('go\n');

    const routedToOwner: string[] = [];
    for (const id of ids) {
      if ((await router.route(receipt(id))).kind === 'owner') routedToOwner.push(id);
      await new Promise(setImmediate); // let the claimer take the lock between routes
    }
    const handedOver: string[] = JSON.parse((await lines.next()).value);
    expect(await exited).toEqual([0, null]);

    const delivered = [...routedToOwner, ...handedOver].sort();
    expect(delivered).toEqual([...ids].sort());
    expect(await router.stats()).toMatchObject({ parked: 0, claimed: ids.length });
    await router.close();
  });

  it('routes to a claim written by another connection', async () => {
    const file = newFile();
    const [worker, receiver] = [new SqliteReceiptIndex(new Database(file)), new SqliteReceiptIndex(new Database(file))];
    await worker.claim('smsbat', [{ messageId: 'm1', owner: flow('wf-1') }]);
    expect(await receiver.route(receipt('m1'))).toMatchObject({ kind: 'owner', owner: flow('wf-1') });
    await Promise.all([worker.close(), receiver.close()]);
  });
});

async function* readLines(stream: NodeJS.ReadableStream): AsyncGenerator<string> {
  let buffered = '';
  for await (const chunk of stream) {
    buffered += String(chunk);
    for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n')) {
      yield buffered.slice(0, end);
      buffered = buffered.slice(end + 1);
    }
  }
}
