/**
 * SMS parts, counted the way operators bill them (3GPP TS 23.038 alphabets, TS 23.040
 * concatenation): text that is pure GSM-7 goes in 7-bit septets, 160 in one part or 153 per part
 * once concatenated (7 septets go to the concatenation header); anything else goes as UCS-2, 70
 * UTF-16 code units in one part or 67 per part. The simulator's own count, written for the
 * simulator: it shares nothing with the clients it checks.
 */

/**
 * The GSM 03.38 default alphabet, row by row as the standard prints it (0x00–0x7F), with 0x1B
 * (the escape to the extension table) left out: it is no character of its own.
 */
const GSM7_DEFAULT_ALPHABET = [
  '@£$¥èéùìòÇ\nØø\rÅå',
  'Δ_ΦΓΛΩΠΨΣΘΞ' + /* 0x1B, the escape */ 'ÆæßÉ',
  ' !"#¤%&\'()*+,-./',
  '0123456789:;<=>?',
  '¡ABCDEFGHIJKLMNO',
  'PQRSTUVWXYZÄÖÑÜ§',
  '¿abcdefghijklmno',
  'pqrstuvwxyzäöñüà',
].join('');

/** The extension table: each is sent as escape + character, two septets. */
const GSM7_EXTENSION = '\f^{}\\[~]|€';

const DEFAULT = new Set(GSM7_DEFAULT_ALPHABET);
const EXTENSION = new Set(GSM7_EXTENSION);

export const GSM7 = { single: 160, perPart: 153 } as const;
export const UCS2 = { single: 70, perPart: 67 } as const;

export interface SmsParts {
  encoding: 'GSM-7' | 'UCS-2';
  /** Septets (GSM-7) or UTF-16 code units (UCS-2). */
  units: number;
  parts: number;
}

/** Septets the text takes in GSM-7, or `undefined` when one of its characters is not in GSM-7. */
export function gsm7Septets(text: string): number | undefined {
  let septets = 0;
  for (const ch of text) {
    if (DEFAULT.has(ch)) septets += 1;
    else if (EXTENSION.has(ch)) septets += 2;
    else return undefined;
  }
  return septets;
}

export function countSmsParts(text: string): SmsParts {
  const septets = gsm7Septets(text);
  if (septets !== undefined) return { encoding: 'GSM-7', units: septets, parts: partsOf(septets, GSM7) };
  return { encoding: 'UCS-2', units: text.length, parts: partsOf(text.length, UCS2) };
}

function partsOf(units: number, limits: { single: number; perPart: number }): number {
  return units <= limits.single ? 1 : Math.ceil(units / limits.perPart);
}
