/**
 * Workflow ids derive from your tracking ids, so one tracking id can never start two flows (the
 * client starts with REJECT_DUPLICATE). Use the same ids when you start a flow as a child workflow.
 */
export const deliveryWorkflowId = (trackingId: string) => `deliver:${trackingId}`;
export const otpWorkflowId = (trackingId: string) => `otp:${trackingId}`;
export const bulkWorkflowId = (bulkId: string) => `bulk:${bulkId}`;
