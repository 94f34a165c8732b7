// The workflows this package registers on a worker. Type names are part of the public contract.
export { deliverMessage } from './deliver-message';
export { otpVerification } from './otp-verification';
export { receiptRouter } from './receipt-router';
export { bulkSend } from './bulk-send';
export { bulkChunk } from './bulk-chunk';
export { abuseGuard } from './abuse-guard';
