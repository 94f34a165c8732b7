// `temporal-cascade/workflows`: the workflow functions this package registers on a worker, for
// your workflows module (`export * from 'temporal-cascade/workflows'`) and for `executeChild`.
// Sandbox code only. Type names are part of the public contract.
export { deliverMessage } from './deliver-message';
export { otpVerification } from './otp-verification';
export { receiptRouter } from './receipt-router';
export { bulkSend } from './bulk-send';
export { bulkChunk } from './bulk-chunk';
export { abuseGuard } from './abuse-guard';
export { WORKFLOWS_MARKER } from './marker';
