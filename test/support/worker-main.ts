import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

/** `src/bin/worker.ts` (what `npm run worker` runs) in its own process, started once it reports ready. */
export async function startWorkerMain(
  env: Record<string, string>,
): Promise<{ child: ChildProcess; logs(): string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '../../src/bin/worker.ts')], {
    env: { ...process.env, CASCADE_WORKFLOW_BUNDLE: process.env.TEMPORAL_CASCADE_TEST_BUNDLE ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  for (let i = 0; !out.includes('temporal-cascade worker on task queue'); i++) {
    if (i > 300 || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`worker did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, logs: () => out, exited };
}
