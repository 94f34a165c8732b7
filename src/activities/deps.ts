import { type EmailClient } from '../providers/email/smtp';
import { type ReachClient } from '../providers/reach/client';
import { type SmsbatClient } from '../providers/smsbat/client';
import { type OtpCodes } from '../otp/codes';

/** Everything the activities need, injected: clients built from config, never module singletons. */
export interface ActivityDeps {
  smsbat?: SmsbatClient;
  reach?: ReachClient;
  email?: EmailClient;
  /** Needed by OTP flows only. */
  otp?: OtpCodes;
  /**
   * Claims each SMSBAT message id for its workflow (through the worker's own client), so the
   * webhook receiver can route receipts to it. Off: receipts arrive by polling only.
   */
  receiptRouting?: boolean;
  /** Public URL of the webhook receiver's Reach endpoint; receipts are polled when absent. */
  reachCallbackUrl?: (workflowId: string) => string;
}
