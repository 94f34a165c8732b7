import { createBulkActivities } from './bulk';
import { createCancelScheduled, createCheckDelivery } from './check-delivery';
import { type ActivityDeps } from './deps';
import { createPrepareOtpVerifier } from './otp';
import { createSendStep } from './send-step';
import { type CascadeActivities } from './types';

export type { ActivityDeps } from './deps';
export type * from './types';

/** The activities a worker registers, as thin wrappers over injected provider clients. */
export function createActivities(deps: ActivityDeps): CascadeActivities {
  return {
    sendStep: createSendStep(deps),
    checkDelivery: createCheckDelivery(deps),
    cancelScheduled: createCancelScheduled(deps),
    prepareOtpVerifier: createPrepareOtpVerifier(deps),
    ...createBulkActivities(deps),
  };
}
