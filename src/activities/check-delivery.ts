import { recordPolledReceipt } from '../metrics/activity';
import { type DeliveryStatus } from '../shared/delivery-status';
import { type ActivityDeps } from './deps';
import { toActivityFailure } from './failures';
import { type CheckDeliveryInput } from './types';

/** Polls a provider for a message's status: the safety net behind webhooks. */
export function createCheckDelivery(deps: ActivityDeps) {
  return async function checkDelivery({ provider, providerMessageId }: CheckDeliveryInput): Promise<DeliveryStatus> {
    try {
      return recordPolledReceipt(await deps.channels.get(provider).status(providerMessageId));
    } catch (err) {
      throw toActivityFailure(err);
    }
  };
}

/** Cancels a message still waiting at the provider, where its channel can (Reach `unschedule`). */
export function createCancelScheduled(deps: ActivityDeps) {
  return async function cancelScheduled({
    provider,
    providerMessageId,
  }: CheckDeliveryInput): Promise<DeliveryStatus | undefined> {
    try {
      const channel = deps.channels.get(provider);
      return channel.cancel ? await channel.cancel(providerMessageId) : undefined;
    } catch (err) {
      throw toActivityFailure(err);
    }
  };
}
