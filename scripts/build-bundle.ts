/**
 * `npm run build:bundle`: the workflow bundle for production workers, built once here instead of
 * at every worker start. Point CASCADE_WORKFLOW_BUNDLE at the file it writes. (Installed users run
 * `npx temporal-cascade bundle <out.js>`, which does the same.)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { bundleCascadeWorkflows } from '../src/worker/bundle';

async function main(): Promise<void> {
  const out = resolve(process.argv[2] ?? join(__dirname, '..', 'dist', 'workflow-bundle.js'));
  const { code } = await bundleCascadeWorkflows({ quiet: false });
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, code);
  console.log(`workflow bundle: ${out} (${(code.length / 1024).toFixed(0)} KiB)`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
