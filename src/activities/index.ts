import { createBulkActivities } from './bulk';
import { createCancelScheduled, createCheckDelivery } from './check-delivery';
import { createCheckInput } from './check-input';
import { type ActivityDeps } from './deps';
import { createAcquireOtpLimits, createRecordOtpConversion } from './limits';
import { createPrepareOtpVerifier } from './otp';
import { createSendStep } from './send-step';
import { ACTIVITY_PREFIX, type CascadeActivities, type PrefixedActivities } from './types';

export type { ActivityDeps } from './deps';
export type * from './types';

/**
 * The activities a worker registers, as thin wrappers over injected channel adapters: each under
 * its prefixed name (what flows since 0.3 call) and its bare name (what recorded flows call).
 */
export function createActivities(deps: ActivityDeps): CascadeActivities & PrefixedActivities {
  const bare = createBareActivities(deps);
  return { ...bare, ...prefixed(bare) };
}

function prefixed(bare: CascadeActivities): PrefixedActivities {
  return Object.fromEntries(
    Object.entries(bare).map(([name, fn]) => [`${ACTIVITY_PREFIX}${name}`, fn]),
  ) as PrefixedActivities;
}

/**
 * Our activities added to a host's: a host activity is never replaced. Where a host registers a
 * bare name of ours (its own `sendStep`), its activity keeps that name and only our prefixed one is
 * added; flows recorded before 0.3 that call the bare name then reach the host's activity.
 */
export function addActivities(host: object | undefined, ours: object): object {
  return { ...ours, ...host };
}

function createBareActivities(deps: ActivityDeps): CascadeActivities {
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
