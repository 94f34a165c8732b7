// `temporal-cascade/client` (also the package root): what a backend needs to start, verify and
// inspect flows. Loads no @temporalio/worker, no native code, no provider client.
export { CascadeClient } from './cascade-client';
export type { CascadeClientOptions, FlowKind, FlowStatus } from './cascade-client';
export {
  CascadeFlowNotFoundError,
  CascadeLimitError,
  CascadeResendRefusedError,
  CascadeValidationError,
} from './errors';
export { AbuseGuard } from './abuse-guard';
export {
  attemptTrackingId,
  DEFAULT_IDEMPOTENCY_WINDOWS,
  type IdempotencyWindows,
  type TrackedFlowKind,
} from './tracking';
// The limit store, for the operators' guard API (drivers load only when a store is opened).
export { LimitStore, openLimitStore, loadLimitPolicy, MemoryLimitBackend } from '../limits';
export { CascadeClientPlugin, createCascadeClientPlugin, type CascadeClientPluginOptions } from './plugin';
export { sealOtpCode } from '../otp/codes';
export { loadClientConfig, ConfigError, DEFAULT_TASK_QUEUE, type CascadeClientConfig } from '../config';
export { connectionAuth } from '../temporal-connection';
export { registerSearchAttributes, missingSearchAttributes, CascadeSetupError } from '../setup/search-attributes';
export * from '../shared';
// Provider health, for operators' tools: `status()` and `force(key, 'open' | 'closed' | 'auto')`.
export {
  openProviderHealth,
  ProviderHealth,
  DEFAULT_HEALTH_POLICY,
  type HealthPolicy,
  type HealthMetrics,
  type ProviderHealthStatus,
  type BreakerMode,
  type BreakerState,
} from '../health';
