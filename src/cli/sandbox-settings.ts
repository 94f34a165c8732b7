import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The file `npm run dev` writes under its data directory (.data/) with what a client needs. */
export const SANDBOX_SETTINGS_FILE = 'sandbox.env';

/**
 * The environment the CLI runs with: the user's own, completed from the sandbox's settings file
 * when the CLI runs in a checkout with a sandbox (`.data/sandbox.env`, or under DEV_DATA_DIR).
 * What the user exported wins; a TEMPORAL_ADDRESS other than the sandbox's ignores the file whole,
 * so a real cluster never gets the sandbox's keys.
 */
export function withSandboxSettings(
  env: Record<string, string | undefined>,
  cwd = process.cwd(),
): { env: Record<string, string | undefined>; file?: string } {
  // An empty variable counts as unset, as in a shell's `VAR= command`.
  const own = definedOnly(env);
  const file = join(own.DEV_DATA_DIR ?? join(cwd, '.data'), SANDBOX_SETTINGS_FILE);
  if (!existsSync(file)) return { env: own };
  const settings = parseEnvFile(readFileSync(file, 'utf8'));
  if (own.TEMPORAL_ADDRESS && own.TEMPORAL_ADDRESS !== settings.TEMPORAL_ADDRESS) return { env: own };
  return { env: { ...settings, ...own }, file };
}

function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m) out[m[1]] = m[2].trim();
  }
  return out;
}

function definedOnly(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''),
  );
}
