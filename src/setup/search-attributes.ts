import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { SEARCH_ATTRIBUTES } from '../shared/search-attributes';

/** The operator API of a client `Connection` or a worker `NativeConnection` (both have it). */
export interface OperatorConnection {
  operatorService: {
    listSearchAttributes(request: {
      namespace: string;
    }): Promise<{ customAttributes?: Record<string, unknown> | null }>;
    addSearchAttributes(request: { namespace: string; searchAttributes: Record<string, number> }): Promise<unknown>;
  };
}

/** The namespace is not ready for temporal-cascade's workflows; the message says how to fix it. */
export class CascadeSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CascadeSetupError';
  }
}

const NAMES = SEARCH_ATTRIBUTES.map((k) => k.name);

export const SETUP_HINT =
  'run `npx temporal-cascade setup` (or call registerSearchAttributes) against this namespace; on Temporal Cloud, ' +
  `create them in the Cloud UI or with \`tcld namespace search-attributes add\` (all Keyword): ${NAMES.join(', ')}`;

/** The search attributes the workflows set that the namespace lacks; undefined when the server cannot say. */
export async function missingSearchAttributes(
  connection: OperatorConnection,
  namespace: string,
): Promise<string[] | undefined> {
  let known: Record<string, unknown>;
  try {
    known = (await connection.operatorService.listSearchAttributes({ namespace })).customAttributes ?? {};
  } catch (err) {
    // Temporal Cloud keeps the operator API for its control plane; the time-skipping server lacks it.
    if (isUnavailable(err)) return undefined;
    throw err;
  }
  return NAMES.filter((name) => !(name in known));
}

/**
 * Registers the five search attributes on `namespace`, skipping those that exist (idempotent).
 * Returns the names it added.
 */
export async function registerSearchAttributes(connection: OperatorConnection, namespace: string): Promise<string[]> {
  const missing = await missingSearchAttributes(connection, namespace);
  if (missing === undefined) {
    throw new CascadeSetupError(`this server does not let a client register search attributes: ${SETUP_HINT}`);
  }
  if (missing.length === 0) return [];
  const searchAttributes = Object.fromEntries(
    SEARCH_ATTRIBUTES.filter((k) => missing.includes(k.name)).map((k) => [
      k.name,
      encodeSearchAttributeIndexedValueType(k.type) as number,
    ]),
  );
  await connection.operatorService.addSearchAttributes({ namespace, searchAttributes });
  return missing;
}

/** Fails with one message naming the fix when the namespace lacks our search attributes. */
export async function assertSearchAttributes(connection: OperatorConnection, namespace: string): Promise<void> {
  const missing = await missingSearchAttributes(connection, namespace);
  if (missing && missing.length > 0) {
    throw new CascadeSetupError(
      `namespace "${namespace}" lacks the search attributes ${missing.join(', ')} that temporal-cascade's workflows set: ${SETUP_HINT}`,
    );
  }
}

function isUnavailable(err: unknown): boolean {
  const code = (err as { code?: number }).code;
  // gRPC UNIMPLEMENTED (12) and PERMISSION_DENIED (7).
  return code === 12 || code === 7;
}
