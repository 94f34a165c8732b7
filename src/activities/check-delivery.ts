import { type DeliveryStatus } from '../shared/delivery-status';
import { type ActivityDeps } from './deps';
import { notConfigured, toActivityFailure } from './failures';
import { type CheckDeliveryInput } from './types';

/** Polls a provider for a message's status: the safety net behind webhooks. */
export function createCheckDelivery(deps: ActivityDeps) {
  return async function checkDelivery({ provider, providerMessageId }: CheckDeliveryInput): Promise<DeliveryStatus> {
    try {
      switch (provider) {
        case 'smsbat':
          if (!deps.smsbat) throw notConfigured('smsbat');
          return await deps.smsbat.getStatus(providerMessageId);
        case 'reach':
          if (!deps.reach) throw notConfigured('reach');
          return await deps.reach.getStatus(providerMessageId);
        case 'email':
          // SMTP has no receipts: an accepted message was reported delivered when it was sent.
          return { provider, providerMessageId, state: 'delivered', rawStatus: 'accepted' };
      }
    } catch (err) {
      throw toActivityFailure(err);
    }
  };
}

/** Cancels a message still waiting for its scheduled time at the provider (Reach `unschedule`). */
export function createCancelScheduled(deps: ActivityDeps) {
  return async function cancelScheduled({
    provider,
    providerMessageId,
  }: CheckDeliveryInput): Promise<DeliveryStatus | undefined> {
    if (provider !== 'reach' || !deps.reach) return undefined;
    try {
      await deps.reach.unschedule(providerMessageId);
      return await deps.reach.getStatus(providerMessageId);
    } catch (err) {
      throw toActivityFailure(err);
    }
  };
}
