import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { assertPeers, CascadeMissingPeerError } from '../../src/setup/peers';

const repo = resolve(__dirname, '../..');

/**
 * Runs `script` in a fresh Node process (TypeScript through tsx) in which `hidden` packages
 * cannot be found, as in an app that never installed them. Prints what the script prints.
 */
async function withoutPackages(hidden: string[], script: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'cascade-peers-'));
  const hide = join(dir, 'hide.cjs');
  writeFileSync(
    hide,
    `const Module = require('node:module');
const hidden = ${JSON.stringify(hidden)};
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (hidden.some((h) => request === h || request.startsWith(h + '/'))) {
    const err = new Error("Cannot find module '" + request + "'");
    err.code = 'MODULE_NOT_FOUND';
    throw err;
  }
  return resolve.call(this, request, ...rest);
};`,
  );
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--require', hide, '--require', require.resolve('tsx/cjs'), '-e', script],
    { cwd: repo, env: { ...process.env, CASCADE_ENCRYPTION: 'off' } },
  );
  return stdout;
}

describe('optional peer dependencies, named when missing', () => {
  test('temporal-cascade/worker without @temporalio/plugin fails at once, naming it and the install line', async () => {
    const out = await withoutPackages(
      ['@temporalio/plugin'],
      `try { require('./src/worker'); console.log('loaded'); } catch (err) { console.log(err.name + ': ' + err.message); }`,
    );
    const { version } = JSON.parse(readFileSync(require.resolve('@temporalio/worker/package.json'), 'utf8')) as {
      version: string;
    };
    expect(out.trim()).toBe(
      `CascadeMissingPeerError: temporal-cascade's worker (temporal-cascade/worker) needs @temporalio/plugin, ` +
        `which is not installed: npm install @temporalio/plugin@${version}`,
    );
  }, 60_000);

  test('the testing kit runs a test with no email step without smtp-server, and names it when email is asked for', async () => {
    const out = await withoutPackages(
      ['smtp-server'],
      `(async () => {
        const { startSimulator } = require('./src/testing');
        const sim = await startSimulator({ deliveryDelayMs: 0 });
        console.log(JSON.stringify({ smtpUrl: sim.smtpUrl ?? null, email: sim.emailUnavailable?.message, url: Boolean(sim.url) }));
        await sim.close();
        try { await startSimulator({ smtpPort: 0 }); } catch (err) { console.log(err.name); }
      })().catch((err) => { console.log('failed: ' + err.message); });`,
    );
    const [first, second] = out.trim().split('\n');
    expect(JSON.parse(first)).toEqual({
      smtpUrl: null,
      url: true,
      email:
        "the provider simulator's email capture (SMTP) needs smtp-server, which is not installed: npm install --save-dev smtp-server",
    });
    expect(second).toBe('CascadeMissingPeerError');
  }, 60_000);

  test('every missing package is named at once; SDK packages pinned to the SDK the app has', () => {
    const absent = new Set(['@temporalio/plugin', '@temporalio/activity']);
    const resolveLike = (name: string) => {
      if (absent.has(name))
        throw Object.assign(new Error(`Cannot find module '${name}'`), { code: 'MODULE_NOT_FOUND' });
      return require.resolve(name);
    };
    let error: unknown;
    try {
      assertPeers('the worker', ['@temporalio/worker', '@temporalio/plugin', '@temporalio/activity'], {
        resolve: resolveLike,
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CascadeMissingPeerError);
    expect((error as CascadeMissingPeerError).packages).toEqual(['@temporalio/plugin', '@temporalio/activity']);
    expect((error as Error).message).toMatch(/npm install @temporalio\/plugin@\d+\.\d+\.\d+ @temporalio\/activity@\d+/);
  });
});
