/**
 * `npm run build` (and `prepack`): compiles src/ to dist/ with declarations and source maps that
 * carry their sources (the tarball ships no src/), and marks the process entry points executable.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..');
const dist = join(root, 'dist');
rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], {
  stdio: 'inherit',
});
for (const file of readdirSync(join(dist, 'bin'))) if (file.endsWith('.js')) chmodSync(join(dist, 'bin', file), 0o755);
console.log(`built ${dist}`);
