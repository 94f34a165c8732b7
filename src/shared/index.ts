// `temporal-cascade/contract`: what workflows and their callers share — signal, query and update
// definitions, result types, search attribute keys, workflow id conventions. Sandbox-safe: a
// workflow of yours may import it (no Node built-ins, no I/O); backends get the same from
// `temporal-cascade/client`.
export * from './messages';
export * from './schemas';
export * from './types';
export * from './delivery-status';
export * from './search-attributes';
export * from './ids';
export { toMs, type DurationInput } from './durations';
export { maskRecipient } from './mask';
export { DEFAULT_LIMITS, admitUpdate, type LimitPolicy, type LimitDecision, type GuardState } from './limits';
