import { readFileSync } from 'node:fs';

/**
 * Optional peer dependencies, named when missing: an app installs only the parts it uses (a
 * backend needs no worker), so a part that needs a package it lacks says which, and how to add it,
 * instead of a bare "Cannot find module".
 */
export class CascadeMissingPeerError extends Error {
  readonly code = 'CASCADE_MISSING_PEER';

  constructor(
    readonly packages: string[],
    readonly usedBy: string,
    readonly installLine: string,
  ) {
    super(
      `${usedBy} needs ${packages.join(', ')}, which ${packages.length > 1 ? 'are' : 'is'} not installed: ${installLine}`,
    );
    this.name = 'CascadeMissingPeerError';
  }
}

/** The packages of `names` that `resolve` cannot find (a package that is there but fails to load is not missing). */
export function missingPeers(names: string[], resolve: (name: string) => string = require.resolve): string[] {
  return names.filter((name) => {
    try {
      resolve(name);
      return false;
    } catch (err) {
      return (err as { code?: string }).code === 'MODULE_NOT_FOUND';
    }
  });
}

/** The SDK version the app already has, so the install line adds a matching one. */
function installedSdkVersion(resolve: (name: string) => string): string | undefined {
  for (const name of ['@temporalio/worker', '@temporalio/client', '@temporalio/common']) {
    try {
      return (JSON.parse(readFileSync(resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
    } catch {
      // not this one
    }
  }
  return undefined;
}

/**
 * Throws CascadeMissingPeerError naming every package of `names` that is missing. SDK packages
 * (`@temporalio/*`) are pinned in the install line to the SDK version the app already has.
 */
export function assertPeers(
  usedBy: string,
  names: string[],
  options: { dev?: boolean; resolve?: (name: string) => string } = {},
): void {
  const resolve = options.resolve ?? require.resolve;
  const missing = missingPeers(names, resolve);
  if (missing.length === 0) return;
  const sdk = installedSdkVersion(resolve);
  const specs = missing.map((name) => (sdk && name.startsWith('@temporalio/') ? `${name}@${sdk}` : name));
  throw new CascadeMissingPeerError(
    missing,
    usedBy,
    `npm install ${options.dev ? '--save-dev ' : ''}${specs.join(' ')}`,
  );
}
