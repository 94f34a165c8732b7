import { type Recipient } from './schemas';

/**
 * Search attributes are not encrypted, so operators see a masked recipient: enough to recognise
 * a support case (+380*******67, j***@example.com), not enough to contact anyone.
 */
export function maskRecipient(recipient: Recipient): string {
  if (recipient.phone) return maskPhone(recipient.phone);
  if (recipient.email) return maskEmail(recipient.email);
  return '';
}

export function maskPhone(phone: string): string {
  const keepHead = Math.min(4, phone.length - 2);
  return phone.slice(0, keepHead) + '*'.repeat(Math.max(0, phone.length - keepHead - 2)) + phone.slice(-2);
}

export function maskEmail(email: string): string {
  const [local, domain] = email.split('@');
  return `${local.slice(0, 1)}***@${domain}`;
}
