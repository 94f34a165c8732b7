import { Pool } from 'pg';
import { openReceiptIndex } from '../../src/receipts/open';
import { PostgresReceiptIndex } from '../../src/receipts/postgres';
import { startPostgres, type TestPostgres } from '../support/postgres';
import { describeReceiptIndexContract, flow, receipt } from './contract';

let server: TestPostgres;
beforeAll(async () => {
  server = await startPostgres();
}, 30_000);
afterAll(async () => {
  await server?.stop();
});

let tables = 0;
const newTable = () => `receipts_test_${process.pid}_${++tables}`;

describe('PostgresReceiptIndex', () => {
  // Every store is a table of its own, and every open() a pool of its own (another "host").
  describeReceiptIndexContract(async () => {
    const table = newTable();
    return {
      open: (options) =>
        PostgresReceiptIndex.open(new Pool({ connectionString: server.url, max: 8 }), {
          ...options,
          table,
          endPoolOnClose: true,
        }),
    };
  });

  it('creates its table when two hosts open it at once', async () => {
    const table = newTable();
    const pools = [new Pool({ connectionString: server.url }), new Pool({ connectionString: server.url })];
    const [a, b] = await Promise.all(
      pools.map((pool) => PostgresReceiptIndex.open(pool, { table, endPoolOnClose: true })),
    );
    await a.claim('smsbat', [{ messageId: 'm1', owner: flow('wf-1') }]);
    expect(await b.route(receipt('m1'))).toMatchObject({ kind: 'owner', owner: flow('wf-1') });
    await Promise.all([a.close(), b.close()]);
  });

  it('opens from a postgres:// URL into the cascade_receipts table', async () => {
    const index = await openReceiptIndex(server.url);
    await index.claim('smsbat', [{ messageId: `url-${process.pid}`, owner: flow('wf-1') }]);
    const pool = new Pool({ connectionString: server.url });
    const { rows } = await pool.query('SELECT workflow_id FROM cascade_receipts WHERE message_id = $1', [
      `url-${process.pid}`,
    ]);
    expect(rows).toEqual([{ workflow_id: 'wf-1' }]);
    await Promise.all([index.close(), pool.end()]);
  });
});
