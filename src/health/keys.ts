import { normalizePhone } from '../otp/recipients';
import { type Recipient, type Step } from '../shared/schemas';

/**
 * The health keys of one send, general first: the provider, its route (SMSBAT's standard or
 * tg-viber), and the destination country on that route (phones only): `smsbat`,
 * `smsbat/standard`, `smsbat/standard/+380`; `reach`, `reach/+44`; `email`.
 */
export function healthKeys(step: Step, recipient: Recipient): string[] {
  const keys: string[] = [step.channel];
  let route: string = step.channel;
  if (step.channel === 'smsbat') {
    route = `smsbat/${step.route ?? 'standard'}`;
    keys.push(route);
  }
  if (step.channel !== 'email' && recipient.phone) keys.push(`${route}/${normalizePhone(recipient.phone).country}`);
  return keys;
}

/** The provider a key belongs to (its first part). */
export function providerOf(key: string): string {
  return key.split('/')[0];
}
