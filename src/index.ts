// `temporal-cascade`: the worker- and backend-side entry point.
export * from './client';
export { CascadePlugin, createCascadePlugin, type CascadePluginOptions } from './plugin';
export { createCascadeWorker, connectionAuth, type CascadeWorkerOptions } from './worker';
export { loadConfig, ConfigError, CONFIG_ENV_KEYS, DEFAULT_TASK_QUEUE, type CascadeConfig } from './config';
export { createActivities, type ActivityDeps } from './activities';
export { sealOtpCode, OtpCodes } from './otp/codes';
export { WebhookReceiver, type WebhookReceiverOptions } from './webhooks/receiver';
export * from './providers/errors';
export type * from './shared/types';
export type { DeliveryStatus, DeliveryState, ProviderName } from './shared/delivery-status';
export type { DeliverMessageInput, OtpInput, BulkSendInput, StepInput } from './shared/schemas';
