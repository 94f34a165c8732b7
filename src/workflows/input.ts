import { ActivityFailure, ApplicationFailure, patched, proxyLocalActivities } from '@temporalio/workflow';
import type { CascadeActivities } from '../activities/types';
import { BULK_DEFAULTS, OTP_DEFAULTS, VALIDATED } from '../shared/defaults';
import type {
  BulkSendInput,
  BulkSendParams,
  DeliverMessageInput,
  DeliverMessageParams,
  OtpInput,
  OtpParams,
} from '../shared/schemas';
import { LOCAL_CHECK } from './policies';

/** The patch every 0.2.0 change of command order sits behind (see CONTRIBUTING.md). */
export const V2_PATCH = 'cascade-v0.2';

const { checkInput } = proxyLocalActivities<CascadeActivities>(LOCAL_CHECK);

type Kind = 'deliverMessage' | 'otpVerification' | 'bulkSend';
interface Kinds {
  deliverMessage: { input: DeliverMessageInput; params: DeliverMessageParams };
  otpVerification: { input: OtpInput; params: OtpParams };
  bulkSend: { input: BulkSendInput; params: BulkSendParams };
}
type Params<K extends Kind> = Kinds[K]['params'];
type Input<K extends Kind> = Kinds[K]['input'];

/**
 * A flow's parameters, and whether it runs the 0.2.0 commands (`v2`). Validation stays out of the
 * sandbox (zod would cost every cached flow a megabyte): an input CascadeClient validated says so
 * (`validated`) and is taken as it is — no patch marker, no extra event; any other input is
 * checked by a local activity before anything is sent (and an invalid one fails the flow,
 * naming every bad field). A flow recorded before 0.2.0 replays its own commands: defaults as
 * the schemas then applied them, no check.
 */
export async function resolveParams<K extends Kind>(
  kind: K,
  input: Input<K>,
): Promise<{ params: Params<K>; v2: boolean }> {
  if ((input as { validated?: string }).validated === VALIDATED) return { params: input as Params<K>, v2: true };
  if (!patched(V2_PATCH)) return { params: legacyParams(kind, input), v2: false };
  try {
    return { params: (await checkInput({ kind, input })) as Params<K>, v2: true };
  } catch (err) {
    // The check's own failure (CascadeInvalidInput, naming the fields) is the flow's.
    if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) throw err.cause;
    throw err;
  }
}

function legacyParams<K extends Kind>(kind: K, input: Input<K>): Params<K> {
  if (kind === 'deliverMessage') return input as Params<K>;
  if (kind === 'bulkSend') {
    const bulk = input as BulkSendInput;
    return {
      ...bulk,
      batchSize: bulk.batchSize ?? BULK_DEFAULTS.batchSize,
      ratePerSecond: bulk.ratePerSecond ?? BULK_DEFAULTS.ratePerSecond,
      trackFor: bulk.trackFor ?? BULK_DEFAULTS.trackFor,
    } as Params<K>;
  }
  const otp = input as OtpInput;
  return {
    ...otp,
    codeLength: otp.codeLength ?? OTP_DEFAULTS.codeLength,
    codeTtl: otp.codeTtl ?? OTP_DEFAULTS.codeTtl,
    maxAttempts: otp.maxAttempts ?? OTP_DEFAULTS.maxAttempts,
    maxSends: otp.maxSends ?? OTP_DEFAULTS.maxSends,
    resendCooldown: otp.resendCooldown ?? OTP_DEFAULTS.resendCooldown,
  } as Params<K>;
}
