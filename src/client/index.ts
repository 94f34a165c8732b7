export { CascadeClient, deliveryWorkflowId, otpWorkflowId } from './cascade-client';
export type { CascadeClientOptions, FlowKind, FlowStatus } from './cascade-client';
export { CascadeFlowNotFoundError, CascadeResendRefusedError, CascadeValidationError } from './errors';
