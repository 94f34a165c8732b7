import { parsePhoneNumberFromString } from 'libphonenumber-js';

/**
 * Who a code goes to, as the abuse limits count it: one person must not get a fresh quota by
 * writing their address another way.
 *
 * Phones: E.164 as libphonenumber reads it, national trunk prefixes removed (`+380 063…` and
 * `+38063…` are one number). The numbering-plan prefix is the country calling code plus the
 * national destination code, taken as the first group of the number's international format
 * (`+380 68 …` → `+38068`, `+1 213 …` → `+1213`, `+44 7400 …` → `+447400`); a number
 * libphonenumber cannot read, or cannot group (`+380 0631230001`), falls back to its first six
 * characters, so a prefix limit still counts it.
 *
 * Emails: the whole address in lower case; for mail services that deliver `name+tag@` to `name@`
 * the tag is dropped, and for Gmail the dots of the local part too (`J.Doe+x@GoogleMail.com` →
 * `jdoe@gmail.com`). One provider's alias domains are one mailbox: `me.com`/`mac.com` →
 * `icloud.com`, `protonmail.com`/`protonmail.ch`/`pm.me` → `proton.me`, `ya.ru` and Yandex's national
 * domains → `yandex.ru`, Outlook's regional domains (`outlook.de`, `hotmail.co.uk`, `live.fr`, …) →
 * `outlook.com` (counted as one: stricter for limits). Other domains keep their local part as
 * written (they may treat `+` as a real character).
 */
export function normalizePhone(phone: string): { e164: string; prefix: string; country: string } {
  const parsed = parsePhoneNumberFromString(phone);
  if (!parsed?.number) {
    const e164 = `+${phone.replace(/\D/g, '')}`;
    return { e164, prefix: e164.slice(0, 6), country: e164.slice(0, 4) };
  }
  const country = `+${parsed.countryCallingCode}`;
  const groups = parsed.formatInternational().split(' ');
  // An ungrouped national number would make the whole number its own "prefix".
  const prefix = groups.length > 2 ? `${country}${groups[1].replace(/\D/g, '')}` : parsed.number.slice(0, 6);
  return { e164: parsed.number, prefix, country };
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

/** Domains that deliver to the same mailbox as another, by the provider's own account rules. */
const ALIAS_DOMAINS: Record<string, string> = {
  'googlemail.com': 'gmail.com',
  'me.com': 'icloud.com',
  'mac.com': 'icloud.com',
  'protonmail.com': 'proton.me',
  'protonmail.ch': 'proton.me',
  'pm.me': 'proton.me',
  'ya.ru': 'yandex.ru',
  'yandex.com': 'yandex.ru',
  'yandex.ua': 'yandex.ru',
  'yandex.by': 'yandex.ru',
  'yandex.kz': 'yandex.ru',
  'yandex.uz': 'yandex.ru',
  'yandex.com.tr': 'yandex.ru',
  'narod.ru': 'yandex.ru',
};

/** Outlook.com's consumer brands in every regional domain: `outlook.de`, `hotmail.co.uk`, `live.com.au`, `msn.com`. */
const OUTLOOK = /^(?:outlook|hotmail|live|msn|windowslive|passport)\.(?:com|[a-z]{2}|co\.[a-z]{2}|com\.[a-z]{2})$/;

function canonicalDomain(domain: string): string {
  if (OUTLOOK.test(domain)) return 'outlook.com';
  return ALIAS_DOMAINS[domain] ?? domain;
}

export function normalizeEmail(email: string): string {
  const at = email.lastIndexOf('@');
  let local = email.slice(0, at).toLowerCase();
  let domain = email
    .slice(at + 1)
    .toLowerCase()
    .replace(/\.$/, '');
  domain = canonicalDomain(domain);
  if (PLUS_TAGS.has(domain)) local = local.split('+')[0];
  if (domain === 'gmail.com') local = local.replace(/\./g, '');
  return `${local}@${domain}`;
}
