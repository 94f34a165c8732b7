// The receipt index: provider message id → owning workflow, kept outside workflow history.
// The backends' drivers load only when openReceiptIndex opens one.
export * from './types';
export { openReceiptIndex } from './open';
export {
  ReceiptIndexError,
  ReceiptIndexUnavailableError,
  ReceiptIndexUrlError,
  ReceiptIndexSchemaError,
  type ReceiptIndexErrorCode,
} from './errors';
export { MemoryReceiptIndex, MemoryReceiptStore } from './memory';
export { SqliteReceiptIndex, type SqliteReceiptIndexOptions } from './sqlite';
export { PostgresReceiptIndex, type PostgresReceiptIndexOptions } from './postgres';
export { type ReceiptIndexOptions } from './rules';
