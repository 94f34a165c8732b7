import { ActivityFailure, ApplicationFailure, patched, proxyLocalActivities } from '@temporalio/workflow';
import type { CascadeActivities, PrefixedActivities } from '../activities/types';
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
/** The patch every 0.3 change of the workflow core's commands sits behind. */
export const V3_PATCH = 'cascade-v0.3';

const { checkInput } = proxyLocalActivities<CascadeActivities>(LOCAL_CHECK);
const checked = proxyLocalActivities<PrefixedActivities>(LOCAL_CHECK);

/**
 * Which commands a flow runs, decided once at its top by `patched()` and passed down as plain
 * values: `v2` the 0.2.0 commands (local-activity sends, limits inside the flow), `v3` the 0.3 ones
 * (sends as activities under prefixed names, a code reference, cleanup on native cancellation,
 * single-use approval, the TTL finishing the attempt in flight).
 */
export interface FlowVersion {
  v2: boolean;
  v3: boolean;
}

type Kind = 'deliverMessage' | 'otpVerification' | 'bulkSend';
interface Kinds {
  deliverMessage: { input: DeliverMessageInput; params: DeliverMessageParams };
  otpVerification: { input: OtpInput; params: OtpParams };
  bulkSend: { input: BulkSendInput; params: BulkSendParams };
}
type Params<K extends Kind> = Kinds[K]['params'];
type Input<K extends Kind> = Kinds[K]['input'];

/**
 * A flow's parameters and the commands it runs. Validation stays out of the sandbox (zod would
 * cost every cached flow a megabyte): since 0.3 the worker checks every input itself, by a local
 * activity before anything is sent (an invalid one fails the flow, naming every bad field) —
 * nothing in the input can skip it or choose the commands. Flows recorded before replay their
 * own: 0.2.0 took an input marked `validated` as it was, and checked others; before 0.2.0,
 * defaults as the schemas then applied them, no check.
 */
export async function resolveParams<K extends Kind>(
  kind: K,
  input: Input<K>,
): Promise<{ params: Params<K> } & FlowVersion> {
  if (patched(V3_PATCH)) {
    return {
      params: (await check(() => checked['cascade.checkInput']({ kind, input }))) as Params<K>,
      v2: true,
      v3: true,
    };
  }
  // Only histories recorded by 0.2.0 reach the lines below (a new flow always takes the patch).
  if ((input as { validated?: string }).validated === VALIDATED) {
    return { params: input as Params<K>, v2: true, v3: false };
  }
  if (!patched(V2_PATCH)) return { params: legacyParams(kind, input), v2: false, v3: false };
  return { params: (await check(() => checkInput({ kind, input }))) as Params<K>, v2: true, v3: false };
}

async function check(run: () => Promise<unknown>): Promise<unknown> {
  try {
    return await run();
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
