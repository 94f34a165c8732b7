import { type EmailClient } from '../providers/email/smtp';
import { type ReachClient } from '../providers/reach/client';
import { type SmsbatClient } from '../providers/smsbat/client';
import { type OtpCodes } from '../otp/codes';
import { type ReceiptRoutes } from '../routing/receipt-routes';

/** Everything the activities need, injected: clients built from config, never module singletons. */
export interface ActivityDeps {
  smsbat?: SmsbatClient;
  reach?: ReachClient;
  email?: EmailClient;
  /** Needed by OTP flows only. */
  otp?: OtpCodes;
  /** Claims SMSBAT message ids for their workflow, so webhooks reach it; polling works without. */
  receiptRoutes?: ReceiptRoutes;
  /** Public URL of the webhook receiver's Reach endpoint; receipts are polled when absent. */
  reachCallbackUrl?: (workflowId: string) => string;
}
