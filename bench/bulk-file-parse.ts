/**
 * How long a campaign file's parse holds up a worker's event loop (`npx tsx bench/bulk-file-parse.ts
 * --rows=100000`, add `--dist` to load the compiled package from dist/ after `npm run build`).
 * Three ways to read, hash and parse one file, each measured on its own fresh file: all at once on
 * the main thread (as before 0.3), on the main thread in slices that yield between them (a streaming
 * parse), and in a thread (what the worker does). Prints the longest event-loop delay
 * (perf_hooks.monitorEventLoopDelay) and the wall time of each: figures for BENCHMARKS.md, not a test.
 * `--only=idle|main|parse` runs one of them (the others' garbage is then not collected during it).
 */
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setImmediate as yieldNow } from 'node:timers/promises';
import { parseBulkFile, sha256Of } from '../src/activities/bulk-file';
import type * as Source from '../src/activities/bulk-source';

const rows = Number(process.argv.find((a) => a.startsWith('--rows='))?.slice(7) ?? 100_000);
const source: typeof Source = process.argv.includes('--dist')
  ? // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('../dist/activities/bulk-source')
  : // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('../src/activities/bulk-source');
const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7);
const SLICE_ROWS = 2_000;

async function measure(name: string, run: () => Promise<number> | number): Promise<void> {
  if (only && !name.startsWith(only)) return;
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  await new Promise((r) => setTimeout(r, 20));
  const t0 = performance.now();
  const n = await run();
  const ms = performance.now() - t0;
  // The monitor sees a blocked loop only once the loop turns again.
  await new Promise((r) => setTimeout(r, 20));
  delay.disable();
  if (n !== rows) throw new Error(`${name}: ${n} messages, expected ${rows}`);
  const max = delay.max / 1e6;
  console.log(
    `${name.padEnd(34)} max event-loop delay ${max.toFixed(1).padStart(7)} ms   total ${ms.toFixed(0).padStart(6)} ms`,
  );
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bulk-parse-bench-'));
  const file = (tag: string) => {
    const path = join(dir, `${tag}.csv`);
    const lines = Array.from(
      { length: rows },
      (_, i) => `${tag}-${i},+38067${String(1_000_000 + i).padStart(7, '0')},"Spring sale, ${i}: 20% off"`,
    );
    writeFileSync(path, `id,phone,text\n${lines.join('\n')}\n`);
    return path;
  };
  try {
    console.log(`${rows} rows (${(readFileSync(file('size')).length / 1e6).toFixed(1)} MB)`);
    // The floor: an idle loop's delay for as long, on this machine as loaded as it is.
    await measure('idle (nothing parsed)', async () => {
      await new Promise((r) => setTimeout(r, 1000));
      return rows;
    });
    const main = file('main');
    await measure('main thread, all at once', () => {
      const bytes = readFileSync(main);
      sha256Of(bytes);
      return parseBulkFile(bytes.toString('utf8'), main, main).length;
    });
    const sliced = file('sliced');
    await measure('main thread, yielding per 2000 rows', async () => {
      // A streaming parse's cost, approximated by parsing whole lines in slices (this file has no
      // quoted newlines) and yielding between slices.
      const bytes = await readFile(sliced);
      sha256Of(bytes);
      const [header, ...lines] = bytes.toString('utf8').trimEnd().split('\n');
      let n = 0;
      for (let i = 0; i < lines.length; i += SLICE_ROWS) {
        n += parseBulkFile(`${header}\n${lines.slice(i, i + SLICE_ROWS).join('\n')}`, sliced, sliced).length;
        await yieldNow();
      }
      return n;
    });
    const threaded = file('thread');
    await measure(
      'parse thread (the worker)',
      async () => (await source.readBulkSource({ kind: 'file', path: threaded }, [dir])).length,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
