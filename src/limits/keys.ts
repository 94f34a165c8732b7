import { createHmac } from 'node:crypto';
import { normalizeEmail, normalizePhone } from '../otp/recipients';
import { type Recipient } from '../shared/schemas';
import { type AdmitSubject } from './store';

/**
 * What the limits count for one OTP run: its phone and email, normalised (one person is one
 * recipient however they write their address) and keyed with the OTP secret, so the store holds
 * no phone number or address; and the phone's numbering-plan prefix and country.
 */
export function admitSubject(
  secret: string,
  recipient: Recipient,
  run: { workflowId: string; runId: string },
): AdmitSubject {
  const who = [
    recipient.phone && `phone|${normalizePhone(recipient.phone).e164}`,
    recipient.email && `email|${normalizeEmail(recipient.email)}`,
  ].filter((w): w is string => Boolean(w));
  const phone = recipient.phone ? normalizePhone(recipient.phone) : undefined;
  return {
    flowKey: `${run.workflowId}/${run.runId}`,
    recipientKeys: who.map((w) =>
      createHmac('sha256', secret).update(`recipient|${w}`).digest('base64url').slice(0, 32),
    ),
    ...(phone && { phone: { prefix: phone.prefix, country: phone.country } }),
  };
}
