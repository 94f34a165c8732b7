import { parsePhoneNumberFromString } from 'libphonenumber-js';

/**
 * Who a code goes to, as the abuse limits count it: one person must not get a fresh quota by
 * writing their address another way.
 *
 * Phones: E.164 as libphonenumber reads it, national trunk prefixes removed (`+380 063…` and
 * `+38063…` are one number). The numbering-plan prefix is the country calling code plus the
 * national destination code, taken as the first group of the number's international format
 * (`+380 68 …` → `+38068`, `+1 213 …` → `+1213`, `+44 7400 …` → `+447400`); a number
 * libphonenumber cannot read keeps its digits and falls back to its first six characters.
 *
 * Emails: the whole address in lower case; for mail services that deliver `name+tag@` to `name@`
 * the tag is dropped, and for Gmail the dots of the local part too (`J.Doe+x@GoogleMail.com` →
 * `jdoe@gmail.com`). Other domains keep their local part as written (they may treat `+` as a
 * real character).
 */
export function normalizePhone(phone: string): { e164: string; prefix: string; country: string } {
  const parsed = parsePhoneNumberFromString(phone);
  if (!parsed?.number) {
    const e164 = `+${phone.replace(/\D/g, '')}`;
    return { e164, prefix: e164.slice(0, 6), country: e164.slice(0, 4) };
  }
  const country = `+${parsed.countryCallingCode}`;
  const firstGroup = parsed.formatInternational().split(' ')[1] ?? '';
  return { e164: parsed.number, prefix: `${country}${firstGroup.replace(/\D/g, '')}`, country };
}

const PLUS_TAGS = new Set([
  'gmail.com',
  'googlemail.com',
  'outlook.com',
  'hotmail.com',
  'live.com',
  'msn.com',
  'icloud.com',
  'me.com',
  'mac.com',
  'fastmail.com',
  'proton.me',
  'protonmail.com',
  'pm.me',
  'zoho.com',
  'yandex.ru',
  'yandex.com',
  'ukr.net',
]);

export function normalizeEmail(email: string): string {
  const at = email.lastIndexOf('@');
  let local = email.slice(0, at).toLowerCase();
  let domain = email
    .slice(at + 1)
    .toLowerCase()
    .replace(/\.$/, '');
  if (domain === 'googlemail.com') domain = 'gmail.com';
  if (PLUS_TAGS.has(domain)) local = local.split('+')[0];
  if (domain === 'gmail.com') local = local.replace(/\./g, '');
  return `${local}@${domain}`;
}
