import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReceiptIndexUrlError } from '../../src/receipts/errors';
import { openReceiptIndex } from '../../src/receipts/open';
import { flow, receipt } from './contract';

describe('openReceiptIndex', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cascade-open-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates a sqlite: file and its missing directories', async () => {
    const file = join(dir, 'nested', 'deeper', 'receipts.sqlite');
    const index = await openReceiptIndex(`sqlite:${file}`);
    expect(existsSync(file)).toBe(true);
    await index.claim('smsbat', [{ messageId: 'm1', owner: flow('wf-1') }]);
    expect(await index.route(receipt('m1'))).toMatchObject({ kind: 'owner' });
    await index.close();
  });

  it('opens sqlite::memory: with the given limits', async () => {
    const index = await openReceiptIndex('sqlite::memory:', { maxParked: 1 });
    await index.route(receipt('a'));
    expect(await index.route(receipt('b'))).toEqual({ kind: 'full' });
    await index.close();
  });

  it('refuses an unknown scheme without repeating the password', async () => {
    const opening = openReceiptIndex('mysql://cascade:s3cret-pw@db.internal/receipts?password=s3cret-pw');
    await expect(opening).rejects.toThrow(ReceiptIndexUrlError);
    await expect(opening).rejects.toThrow('mysql://cascade:***@db.internal/receipts?password=***');
    await expect(opening).rejects.not.toThrow('s3cret');
  });

  it.each([
    ['better-sqlite3', 'sqlite::memory:', 'npm install better-sqlite3@12'],
    ['pg', 'postgres://cascade:s3cret-pw@127.0.0.1:1/receipts', 'npm install pg'],
  ])('names the package to install when %s cannot be loaded', async (driver, url, install) => {
    jest.resetModules();
    jest.doMock(driver, () => {
      throw Object.assign(new Error(`Cannot find module '${driver}'`), { code: 'MODULE_NOT_FOUND' });
    });
    const fresh = await import('../../src/receipts');
    const opening = fresh.openReceiptIndex(url);
    await expect(opening).rejects.toBeInstanceOf(fresh.ReceiptIndexUnavailableError);
    await expect(opening).rejects.toThrow(install);
    await expect(opening).rejects.not.toThrow('s3cret');
    jest.dontMock(driver);
  });

  it('loads no driver until an index is opened', async () => {
    jest.resetModules();
    const loaded: string[] = [];
    for (const driver of ['better-sqlite3', 'pg']) {
      jest.doMock(driver, () => {
        loaded.push(driver);
        return jest.requireActual(driver);
      });
    }
    const fresh = await import('../../src/receipts');
    expect(loaded).toEqual([]);
    await (await fresh.openReceiptIndex('sqlite::memory:')).close();
    expect(loaded).toEqual(['better-sqlite3']);
    jest.dontMock('better-sqlite3');
    jest.dontMock('pg');
  });
});
