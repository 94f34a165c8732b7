import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The simulator checks the clients against the spec, so it must share none of their code: a
 * mistake in a shared schema or signer would pass on both sides (STYLE.md, `sim/`).
 */
const SIM_DIR = join(__dirname, '..', '..', 'src', 'sim');

test('no file of src/sim imports from src/providers', () => {
  const files = readdirSync(SIM_DIR, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  expect(files.length).toBeGreaterThan(5);
  const imports = files.flatMap((file) => {
    const source = readFileSync(join(SIM_DIR, file), 'utf8');
    const specifiers = [...source.matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*|import\s+)['"]([^'"]+)['"]/g)];
    return specifiers.map((m) => ({ file, specifier: m[1] }));
  });
  expect(imports.length).toBeGreaterThan(10);
  expect(imports.filter(({ specifier }) => /(^|\/)providers(\/|$)/.test(specifier))).toEqual([]);
});
