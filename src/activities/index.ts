import { createBulkActivities } from './bulk';
import { createCancelScheduled, createCheckDelivery } from './check-delivery';
import { createCheckInput } from './check-input';
import { type ActivityDeps } from './deps';
import { createAcquireOtpLimits, createRecordOtpConversion } from './limits';
import { createPrepareOtpVerifier } from './otp';
import { createSendStep } from './send-step';
import { type CascadeActivities } from './types';

export type { ActivityDeps } from './deps';
export type * from './types';

/** The activities a worker registers, as thin wrappers over injected channel adapters. */
export function createActivities(deps: ActivityDeps): CascadeActivities {
  return {
    checkInput: createCheckInput(),
    sendStep: createSendStep(deps),
    checkDelivery: createCheckDelivery(deps),
    cancelScheduled: createCancelScheduled(deps),
    prepareOtpVerifier: createPrepareOtpVerifier(deps),
    acquireOtpLimits: createAcquireOtpLimits(deps),
    recordOtpConversion: createRecordOtpConversion(deps),
    ...createBulkActivities(deps),
  };
}
