export { CascadeClient, deliveryWorkflowId, otpWorkflowId } from './cascade-client';
export type { CascadeClientOptions, FlowKind, FlowStatus } from './cascade-client';
export {
  CascadeFlowNotFoundError,
  CascadeLimitError,
  CascadeResendRefusedError,
  CascadeValidationError,
} from './errors';
export { AbuseGuard } from './abuse-guard';
export { DEFAULT_LIMITS, type LimitPolicy, type GuardState } from '../shared/limits';
