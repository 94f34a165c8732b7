// `temporal-cascade/workflow`: what workflows and their callers share. Sandbox-safe.
export * from './messages';
export * from './schemas';
export * from './types';
export * from './delivery-status';
export * from './search-attributes';
export { toMs, type DurationInput } from './durations';
export { maskRecipient } from './mask';
