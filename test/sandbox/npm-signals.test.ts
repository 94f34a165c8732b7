import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort } from '../../src/testing/dev-server';

const ROOT = join(__dirname, '../..');

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * A signal sent to the npm process (what an IDE, a supervisor or `kill <pid>` does) reaches the
 * script's process: npm's shell neither forwards SIGINT nor ends on it, so the scripts exec node.
 */
describe('npm run <long-running script> stops on a signal to npm', () => {
  test.each(['SIGTERM', 'SIGINT'] as const)(
    '%s to `npm run codec-server` frees its port',
    async (signal) => {
      const port = await freePort();
      const npm = spawn('npm', ['run', 'codec-server'], {
        cwd: ROOT,
        env: {
          ...process.env,
          CASCADE_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
          CODEC_SERVER_PORT: String(port),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      npm.stdout!.on('data', (d) => (output += d));
      npm.stderr!.on('data', (d) => (output += d));
      const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
      while (!output.includes('codec server on')) {
        if (npm.exitCode !== null) throw new Error(output);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(await listening(port)).toBe(true);
      npm.kill(signal);
      await exited;
      for (let i = 0; i < 100 && (await listening(port)); i++) await new Promise((r) => setTimeout(r, 100));
      expect(await listening(port)).toBe(false);
    },
    60_000,
  );
});
