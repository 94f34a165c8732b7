export { LimitStore, type AdmitSubject, type ActiveBlocks } from './store';
export { openLimitStore, openLimitBackend } from './open';
export { MemoryLimitBackend, MemoryLimitData } from './memory';
export { admitSubject } from './keys';
export type { LimitBackend, BlockRow } from './types';
export { loadLimitPolicy, parseLimitPolicy } from './policy-file';
