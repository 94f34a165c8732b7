/**
 * Receipt-index errors are data: a class per kind with a stable `code` callers can switch on.
 * Messages never carry a password from a connection URL (see `redactUrl` in database.ts).
 */
export type ReceiptIndexErrorCode = 'RECEIPT_INDEX_UNAVAILABLE' | 'RECEIPT_INDEX_BAD_URL' | 'RECEIPT_INDEX_SCHEMA';

export abstract class ReceiptIndexError extends Error {
  abstract readonly code: ReceiptIndexErrorCode;

  constructor(message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = new.target.name;
  }
}

/** The backend's driver is not installed (or its native module does not load). */
export class ReceiptIndexUnavailableError extends ReceiptIndexError {
  readonly code = 'RECEIPT_INDEX_UNAVAILABLE' as const;

  constructor(
    readonly packageName: 'better-sqlite3' | 'pg',
    install: string,
    cause?: unknown,
  ) {
    super(`the receipt index needs the ${packageName} package, which could not be loaded: ${install}`, cause);
  }
}

/** A URL no backend understands. */
export class ReceiptIndexUrlError extends ReceiptIndexError {
  readonly code = 'RECEIPT_INDEX_BAD_URL' as const;
}

/** The store was written by a newer version of this package. */
export class ReceiptIndexSchemaError extends ReceiptIndexError {
  readonly code = 'RECEIPT_INDEX_SCHEMA' as const;
}
