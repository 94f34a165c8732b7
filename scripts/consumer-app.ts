/**
 * `npm run test:consumer`: temporal-cascade as somebody else's dependency. Packs the tarball once
 * (`npm pack`, so `prepack` builds), then for the SDK version this project develops on and for the
 * lowest one its peer range admits, installs it into a scratch app outside the repository
 * (test/consumer/app, no path mapping into src/) and proves there what a user relies on:
 *
 * - exactly one @temporalio/workflow in the app's tree (the app's own version);
 * - the app type-checks under strict + exactOptionalPropertyTypes with node10, node16 and bundler
 *   module resolution;
 * - `require('temporal-cascade/client')` (and the package root) loads no @temporalio/worker module,
 *   no native `.node` file and no provider client, and its plugin constructs from the encryption
 *   settings alone;
 * - the app's own jest test of a fallback (child otpVerification, SMSBAT fails, email carries the
 *   code) passes under jest's default 5 s timeout and prints no webpack stats;
 * - a recorded 0.1.0 history replays from JSON on the bundle the app's worker builds;
 * - on a bare dev server the worker refuses to start naming `temporal-cascade setup`; after
 *   `npx temporal-cascade setup` the README's client and worker run an OTP flow to `approved`;
 * - a host app with its own payload codec, failure converter, workflow (`hostFlow`) and activity
 *   (`sendStep`) adds the plugin: its failure converter stays in force, every payload (its own and
 *   ours) reads with its codec alone, a history recorded before the plugin replays after, our OTP
 *   flow runs beside its flows, and its flows run its own `sendStep`.
 *
 * Prints a timing line per step and exits non-zero on the first failure.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startDevServer } from '../src/testing/dev-server';
import { requireTemporalBinary } from '../src/testing/temporal-binaries';

const repo = resolve(__dirname, '..');
const appTemplate = join(repo, 'test/consumer/app');
const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as {
  version: string;
  devDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
};

/** The version we develop on, and the floor of the peer range (`>=1.15.0 <2` → 1.15.0). */
const sdkVersions = (
  process.env.CONSUMER_SDK_VERSIONS?.split(',') ?? [
    pkg.devDependencies['@temporalio/workflow']!,
    /^>=(\S+)/.exec(pkg.peerDependencies['@temporalio/workflow']!)![1]!,
  ]
).filter((v, i, all) => all.indexOf(v) === i);

const STEP_TIMEOUT_MS = 300_000;

interface Run {
  code: number | null;
  out: string;
  ms: number;
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const started = Date.now();
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, CI: 'true', ...env }, stdio: 'pipe' });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    // A hung step (a test that never exits) fails the run instead of holding CI.
    const timer = setTimeout(() => {
      out += `\n[consumer-app] killed after ${STEP_TIMEOUT_MS / 1000} s`;
      child.kill('SIGKILL');
    }, STEP_TIMEOUT_MS);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, out, ms: Date.now() - started });
    });
  });
}

class StepFailed extends Error {}

/** Every installed copy of a package under a node_modules tree (npm ls shows deduped ones once). */
function copiesOnDisk(nodeModules: string, name: string): string[] {
  const found: string[] = [];
  const visit = (dir: string): void => {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry.startsWith('.')) continue;
      const path = join(dir, entry);
      if (entry.startsWith('@')) {
        for (const scoped of readdirSync(path)) visitPackage(join(path, scoped), `${entry}/${scoped}`);
      } else visitPackage(path, entry);
    }
  };
  const visitPackage = (path: string, pkgName: string): void => {
    if (pkgName === name) found.push(path);
    visit(join(path, 'node_modules'));
  };
  visit(nodeModules);
  return found;
}

const timings: string[] = [];

async function step(label: string, cmd: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv): Promise<Run> {
  const r = await run(cmd, args, cwd, env);
  timings.push(`${label.padEnd(58)} ${(r.ms / 1000).toFixed(1).padStart(6)} s`);
  console.log(`  ${r.code === 0 ? 'ok  ' : 'FAIL'} ${label} (${(r.ms / 1000).toFixed(1)} s)`);
  if (r.code !== 0) throw new StepFailed(`${label} exited ${r.code}:\n${r.out.slice(-6000)}`);
  return r;
}

function check(label: string, ok: boolean, detail: string): void {
  console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${label}${ok ? '' : `: ${detail}`}`);
  if (!ok) throw new StepFailed(`${label}: ${detail}`);
}

function lastJsonLine(out: string): Record<string, unknown> {
  const line = out
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{'));
  if (!line) throw new StepFailed(`no JSON line in:\n${out.slice(-3000)}`);
  return JSON.parse(line) as Record<string, unknown>;
}

/** Loaded by the app with `node`: what requiring the client entry brings into the process. */
const CLIENT_LOAD_CHECK = `
const Module = require('node:module');
const native = [];
const loadNative = Module._extensions['.node'];
Module._extensions['.node'] = function (m, file) { native.push(file); return loadNative.apply(this, arguments); };
const entry = process.argv[2];
const api = require(entry);
new api.CascadeClientPlugin();
const { Client } = require('@temporalio/client');
new Client({ plugins: [new api.CascadeClientPlugin()] });
const modules = Object.keys(require.cache);
const forbidden = modules.filter((m) =>
  /[\\\\/]node_modules[\\\\/](@temporalio[\\\\/](worker|core-bridge|testing)|undici|nodemailer|smtp-server)[\\\\/]/.test(m) || m.endsWith('.node'));
console.log(JSON.stringify({ entry, modules: modules.length, native, forbidden }));
`;

async function consumerApp(sdk: string, tarball: string, bareServer: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `cascade-consumer-${sdk}-`));
  console.log(`\nSDK ${sdk} in ${dir}`);
  try {
    for (const entry of readdirSync(appTemplate)) {
      if (entry === 'package.template.json') continue;
      cpSync(join(appTemplate, entry), join(dir, entry), { recursive: true });
    }
    const manifest = readFileSync(join(appTemplate, 'package.template.json'), 'utf8')
      .replaceAll('{{SDK_VERSION}}', sdk)
      .replaceAll('{{TARBALL}}', tarball);
    writeFileSync(join(dir, 'package.json'), manifest);
    writeFileSync(join(dir, 'check-client.js'), CLIENT_LOAD_CHECK);

    // One install per SDK version, from the shared npm cache.
    await step(
      `[${sdk}] npm install (tarball + SDK ${sdk})`,
      'npm',
      ['install', '--no-audit', '--no-fund', '--prefer-offline'],
      dir,
    );

    const ls = await run('npm', ['ls', '@temporalio/workflow', '--all', '--json'], dir);
    const copies = new Set<string>();
    const walk = (node: { version?: string; dependencies?: Record<string, unknown> }, name?: string): void => {
      if (name === '@temporalio/workflow' && node.version) copies.add(node.version);
      for (const [n, child] of Object.entries(node.dependencies ?? {})) walk(child as typeof node, n);
    };
    walk(JSON.parse(ls.out) as Parameters<typeof walk>[0]);
    const workflowCopies = copiesOnDisk(join(dir, 'node_modules'), '@temporalio/workflow');
    check(
      `[${sdk}] exactly one @temporalio/workflow, at ${sdk}`,
      workflowCopies.length === 1 && copies.size === 1 && copies.has(sdk),
      `copies on disk ${JSON.stringify(workflowCopies)}, versions in npm ls ${JSON.stringify([...copies])}`,
    );

    await step(
      `[${sdk}] tsc strict+exactOptional, moduleResolution node10`,
      'npx',
      ['tsc', '-p', 'tsconfig.json', '--noEmit'],
      dir,
    );
    await step(
      `[${sdk}] tsc strict+exactOptional, moduleResolution node16`,
      'npx',
      ['tsc', '-p', 'tsconfig.node16.json'],
      dir,
    );
    await step(
      `[${sdk}] tsc strict+exactOptional, moduleResolution bundler`,
      'npx',
      ['tsc', '-p', 'tsconfig.bundler.json'],
      dir,
    );

    for (const entry of ['temporal-cascade/client', 'temporal-cascade']) {
      const r = await step(`[${sdk}] require('${entry}')`, 'node', ['check-client.js', entry], dir, {
        CASCADE_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      });
      const loaded = lastJsonLine(r.out) as { native: string[]; forbidden: string[]; modules: number };
      check(
        `[${sdk}] ${entry}: no worker, no native code, no provider client (${loaded.modules} modules)`,
        loaded.native.length === 0 && loaded.forbidden.length === 0,
        JSON.stringify({ native: loaded.native, forbidden: loaded.forbidden.slice(0, 10) }),
      );
    }

    const jest = await step(`[${sdk}] the app's jest test (default 5 s timeout)`, 'npx', ['jest'], dir);
    check(`[${sdk}] jest passed its fallback test`, /Tests:\s+1 passed, 1 total/.test(jest.out), jest.out.slice(-2000));
    check(
      `[${sdk}] jest output has no webpack stats and no core warnings`,
      !/webpack|asset workflow-bundle|modules by path|WARN/.test(jest.out),
      jest.out.slice(0, 3000),
    );

    await step(`[${sdk}] tsc build`, 'npx', ['tsc', '-p', 'tsconfig.json'], dir);
    const histories = join(repo, 'test/replay/histories/0.1.0');
    const recorded = JSON.parse(readFileSync(join(histories, 'manifest.json'), 'utf8')) as {
      histories: { file: string; workflowId: string }[];
    };
    const fallback = recorded.histories.find((h) => h.file === 'otpVerification--otp-fallback.json')!;
    const replay = await step(
      `[${sdk}] replay 0.1.0 ${fallback.file} from JSON`,
      'node',
      ['build/src/replay.js', join(histories, fallback.file), fallback.workflowId, 'workflow-bundle.js'],
      dir,
    );
    const replayed = lastJsonLine(replay.out);
    check(
      `[${sdk}] history replayed (${String(replayed.events)} events; SDK historyFromJSON: ${String(replayed.sdkHistoryFromJSON)})`,
      replayed.replayed === true,
      replay.out,
    );

    // A bare dev server: no search attributes registered until `temporal-cascade setup` runs.
    const namespace = `consumer-${sdk.replaceAll('.', '-')}`;
    const temporalEnv = { TEMPORAL_ADDRESS: bareServer, TEMPORAL_NAMESPACE: namespace };
    await step(
      `[${sdk}] create namespace ${namespace}`,
      requireTemporalBinary('cli'),
      ['operator', 'namespace', 'create', '--address', bareServer, '--namespace', namespace],
      dir,
    );
    const refused = await run('node', ['build/src/otp-flow.js', 'workflow-bundle.js'], dir, temporalEnv);
    check(
      `[${sdk}] before setup the worker refuses to start, naming \`temporal-cascade setup\``,
      refused.code !== 0 &&
        /CascadeSetupError: namespace "[^"]+" lacks the search attributes[^\n]*npx temporal-cascade setup/.test(
          refused.out,
        ),
      refused.out.slice(-3000),
    );
    const setup = await step(`[${sdk}] npx temporal-cascade setup`, 'npx', ['temporal-cascade', 'setup'], dir, {
      ...temporalEnv,
      CASCADE_ENCRYPTION: 'off',
    });
    check(`[${sdk}] setup registered the search attributes`, /registered on namespace/.test(setup.out), setup.out);
    const again = await step(`[${sdk}] npx temporal-cascade setup, again`, 'npx', ['temporal-cascade', 'setup'], dir, {
      ...temporalEnv,
      CASCADE_ENCRYPTION: 'off',
    });
    check(`[${sdk}] setup is idempotent`, /already has every search attribute/.test(again.out), again.out);
    const flow = await step(
      `[${sdk}] OTP flow: app worker + backend + simulator`,
      'node',
      ['build/src/otp-flow.js', 'workflow-bundle.js'],
      dir,
      temporalEnv,
    );
    const outcome = lastJsonLine(flow.out);
    check(
      `[${sdk}] the OTP flow was approved`,
      outcome.verified === 'approved' && outcome.result === 'approved',
      flow.out,
    );

    const host = await step(
      `[${sdk}] host app: own codec, failure converter, hostFlow, sendStep`,
      'node',
      ['build/src/host-app.js'],
      dir,
      temporalEnv,
    );
    const seen = lastJsonLine(host.out) as {
      hostFailureConverter: boolean;
      readable: Record<string, boolean>;
      ourHistoryHasPhone: boolean;
      replayed: true | string;
      otp: string;
      early: { ok: boolean; value?: string };
      late: { ok: boolean; value?: string; error?: string };
    };
    const detail = JSON.stringify(seen);
    check(`[${sdk}] the host's failure converter stays in force`, seen.hostFailureConverter, detail);
    check(
      `[${sdk}] every payload, the host's and ours, reads with the host's codec alone`,
      Object.values(seen.readable).length === 3 &&
        Object.values(seen.readable).every(Boolean) &&
        seen.ourHistoryHasPhone,
      detail,
    );
    check(`[${sdk}] a host history recorded before the plugin replays after`, seen.replayed === true, detail);
    check(`[${sdk}] our OTP flow is approved beside the host's flows`, seen.otp === 'approved', detail);
    check(
      `[${sdk}] the host's flow started before the plugin finishes after it`,
      seen.early.ok && seen.early.value === 'host sent to ann; finished',
      detail,
    );
    check(
      `[${sdk}] the host's flow runs the host's own sendStep, not ours`,
      seen.late.ok && seen.late.value === 'host sent to bob; finished',
      detail,
    );
  } finally {
    if (!process.env.CONSUMER_KEEP) rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const packDir = mkdtempSync(join(tmpdir(), 'cascade-pack-'));
  let server: Awaited<ReturnType<typeof startDevServer>> | undefined;
  try {
    console.log(`temporal-cascade ${pkg.version}: consumer app on SDK ${sdkVersions.join(' and ')}`);
    const pack = await step(
      'npm pack (prepack builds dist/)',
      'npm',
      ['pack', '--json', '--pack-destination', packDir],
      repo,
    );
    const [packed] = JSON.parse(pack.out.slice(pack.out.indexOf('['))) as { filename: string; entryCount: number }[];
    const tarball = join(packDir, packed!.filename);
    console.log(`  ${packed!.entryCount} files in ${packed!.filename}`);

    server = await startDevServer({ searchAttributes: false });
    for (const sdk of sdkVersions) await consumerApp(sdk, tarball, server.address);
    console.log(
      `\nconsumer app passed on SDK ${sdkVersions.join(', ')} in ${((Date.now() - started) / 1000).toFixed(0)} s`,
    );
    for (const line of timings) console.log(`  ${line}`);
  } catch (err) {
    console.error(err instanceof StepFailed ? `\n${err.message}` : err);
    process.exitCode = 1;
  } finally {
    await server?.stop();
    rmSync(packDir, { recursive: true, force: true });
  }
}

void main();
