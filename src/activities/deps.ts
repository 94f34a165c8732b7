import { type Channels } from '../channels';
import { type ProviderHealth } from '../health/health';
import { type OtpCodes } from '../otp/codes';
import { type LimitStore } from '../limits/store';
import { type ReceiptIndex } from '../receipts/types';
import { type LimitPolicy } from '../shared/limits';

/** Everything the activities need, injected: adapters built from config, never module singletons. */
export interface ActivityDeps {
  channels: Channels;
  /** Needed by OTP flows only. */
  otp?: OtpCodes;
  /** The OTP secret itself, which also keys the abuse guards' recipients. */
  otpSecret?: string;
  /**
   * Where sends record provider message ids for the webhook receiver (channels whose webhook names
   * only the provider's id). Absent: those receipts arrive by polling only.
   */
  receipts?: () => Promise<ReceiptIndex>;
  /** Abuse limits `otpVerification` checks itself (false: off). */
  limits?: LimitPolicy | false;
  /** Shared provider health: sends count their outcomes in it and skip steps whose provider is unhealthy. */
  health?: ProviderHealth;
  /** Where the limits count (opened on first use; the receipt index's database by default). */
  limitStore?: () => Promise<LimitStore>;
  /** Directories bulk files may be read from; file sources elsewhere are refused. */
  bulkDirs?: string[];
}
