import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { freePort } from '../../src/testing/dev-server';

const run = promisify(execFile);

export interface TestPostgres {
  /** A database of its own, reachable without a password on 127.0.0.1. */
  url: string;
  stop(): Promise<void>;
}

/**
 * A PostgreSQL server for one test file: `CASCADE_TEST_POSTGRES_URL` when set (left running),
 * else a throwaway cluster in a temp dir on a free loopback port, removed by `stop()`.
 */
export async function startPostgres(): Promise<TestPostgres> {
  const given = process.env.CASCADE_TEST_POSTGRES_URL;
  if (given) return { url: given, stop: async () => undefined };

  const bin = findServerBinaries();
  const dir = mkdtempSync(join(tmpdir(), 'cascade-pg-'));
  const data = join(dir, 'data');
  // initdb and postgres refuse to run as root (a server must not own the machine). Tests here may
  // run as root (containers, CI): then the cluster belongs to the `postgres` system user that the
  // Debian packages create, and each binary runs through `runuser -u postgres --`.
  const asRoot = userInfo().uid === 0;
  const pg = (tool: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]) : run(join(bin, tool), args);
  if (asRoot) {
    chownSync(dir, await postgresUserId('-u'), await postgresUserId('-g'));
  }
  try {
    // trust on loopback only, no fsync: a disposable cluster that starts in a second or two.
    await pg('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
    const port = await freePort();
    const settings = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c synchronous_commit=off`;
    await pg('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-o', settings, '-w', '-t', '20', 'start']);
    const admin = new Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
    await admin.connect();
    await admin.query('CREATE DATABASE cascade_test');
    await admin.end();
    return {
      url: `postgres://postgres@127.0.0.1:${port}/cascade_test`,
      async stop() {
        await pg('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await pg('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** The directory holding initdb and pg_ctl: on PATH, or Debian's /usr/lib/postgresql/<version>/bin. */
function findServerBinaries(): string {
  const debian = existsSync('/usr/lib/postgresql')
    ? readdirSync('/usr/lib/postgresql')
        .sort((a, b) => Number(b) - Number(a))
        .map((v) => join('/usr/lib/postgresql', v, 'bin'))
    : [];
  const candidates = [...(process.env.PATH ?? '').split(delimiter), ...debian];
  const found = candidates.find((d) => d && existsSync(join(d, 'initdb')) && existsSync(join(d, 'pg_ctl')));
  if (!found) {
    throw new Error(
      'PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or in /usr/lib/postgresql/*/bin. ' +
        'Install them (Debian/Ubuntu: apt-get install postgresql; macOS: brew install postgresql@15) ' +
        'or point CASCADE_TEST_POSTGRES_URL at a server whose database the tests may write to.',
    );
  }
  return found;
}

async function postgresUserId(which: '-u' | '-g'): Promise<number> {
  try {
    return Number((await run('id', [which, 'postgres'])).stdout);
  } catch {
    throw new Error(
      'running as root, the test PostgreSQL needs a `postgres` system user (apt-get install postgresql makes one)',
    );
  }
}
