import { type DeliveryStatus } from '../shared/delivery-status';
import { reply, type Reply } from './http';

/**
 * What a receipt may be, whoever sent it: a message id is a provider's id (SMSBAT: a UUID, Reach:
 * `MID…`), a status a word. Anything longer is refused with a 400 naming the field, so a provider
 * retrying it learns why and an attacker cannot make us store or forward kilobytes per receipt.
 */
export const MAX_MESSAGE_ID = 128;
export const MAX_STATUS_WORD = 64;

export function receiptFieldProblem(status: DeliveryStatus, idField: string, statusField: string): Reply | undefined {
  if (status.providerMessageId.length > MAX_MESSAGE_ID || !/^[\x21-\x7e]+$/.test(status.providerMessageId)) {
    return reply(400, {
      error: `${idField} must be 1–${MAX_MESSAGE_ID} printable ASCII characters, without spaces`,
      field: idField,
    });
  }
  if (status.rawStatus.length > MAX_STATUS_WORD) {
    return reply(400, { error: `${statusField} must be at most ${MAX_STATUS_WORD} characters`, field: statusField });
  }
  return undefined;
}

/** Known non-final words change nothing a flow decides on: acknowledged, not forwarded. */
export function isProgressOnly(status: DeliveryStatus): boolean {
  return status.state === 'pending';
}
