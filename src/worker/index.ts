// `temporal-cascade/worker`: everything a worker process needs — the plugin (activities, workflows,
// data converter), a worker factory, the configuration, the workflow bundle builder.
import './peers';
export { CascadePlugin, createCascadePlugin, type CascadePluginOptions } from './plugin';
export { CascadeMissingPeerError } from '../setup/peers';
export { createCascadeWorker, type CascadeWorkerOptions } from './create-worker';
export { bundleCascadeWorkflows } from './bundle';
export { CASCADE_WORKFLOWS_PATH } from './workflows-entry';
export { loadConfig, ConfigError, CONFIG_ENV_KEYS, DEFAULT_TASK_QUEUE, type CascadeConfig } from '../config';
export { connectionAuth } from '../temporal-connection';
export { createActivities, type ActivityDeps } from '../activities';
export {
  LimitStore,
  openLimitStore,
  loadLimitPolicy,
  parseLimitPolicy,
  MemoryLimitBackend,
  type LimitBackend,
  type ActiveBlocks,
} from '../limits';
export { OtpCodes, sealOtpCode } from '../otp/codes';
export { WebhookReceiver, type WebhookReceiverOptions } from '../webhooks/receiver';
export { METRICS, CASCADE_HISTOGRAM_BUCKETS, type MetricDefinition } from '../metrics/catalog';
export { recordBlocksActive } from '../metrics/activity';
export { registerSearchAttributes, assertSearchAttributes, CascadeSetupError } from '../setup/search-attributes';
export * from '../providers/errors';
export type * from '../shared/types';
export type { DeliveryStatus, DeliveryState, ProviderName } from '../shared/delivery-status';
export {
  openProviderHealth,
  ProviderHealth,
  MemoryHealthData,
  DEFAULT_HEALTH_POLICY,
  type HealthPolicy,
  type HealthMetrics,
  type ProviderHealthOptions,
} from '../health';
