import { countSmsParts, gsm7Septets } from './sms-parts';

/**
 * Reach's rules for `POST /rest/messaging/v1/create` and `/update` (reach.md, "Send or schedule a
 * message"; seed 003, "Paramètres"), checked on the form as Reach receives it. Written for the
 * simulator alone: the clients' own checks are what it holds to the spec, so it must not borrow them.
 */
export const REACH_RULES = {
  /** "jusqu'à 1 600 caractères GSM-7": septets, an extension-table character counting as two. */
  maxGsm7Septets: 1600,
  /** "ne doit pas dépasser 10 segments": the binding limit for text that is not pure GSM-7. */
  maxUcs2Segments: 10,
  maxSenderIdLength: 11,
  scheduleMinAheadMs: 15 * 60_000,
  scheduleMaxAheadMs: 5 * 86_400_000,
  /** "La valeur maximale autorisée est de 14 400"; the default too. */
  maxValidityPeriodSec: 14_400,
} as const;

/** A create request's parameters once they pass, typed. */
export interface ReachCreateParams {
  dest: string;
  src: string;
  body: string;
  bulkIdentifier?: string;
  /** `scheduledTime`, epoch ms. */
  scheduledAt?: number;
  statusCallback?: string;
  maxPrice?: number;
  validityPeriod?: number;
}

/** The first parameter that breaks a rule, and why; the message starts with the field's name. */
export interface ReachParamProblem {
  field: string;
  message: string;
}

export type ReachParamCheck = { ok: true; params: ReachCreateParams } | ({ ok: false } & ReachParamProblem);

/** Parameters in the order they are checked: the first that fails is the one the error names. */
const CREATE_PARAMS = [
  'dest',
  'src',
  'body',
  'bulkIdentifier',
  'scheduledTime',
  'statusCallback',
  'maxPrice',
  'validityPeriod',
] as const;

const E164 = /^\+[1-9]\d{6,14}$/; // 7 to 15 digits: the shortest numbers in service (Niue, +683 4002) have 7
const SENDER_ID = /^[A-Za-z0-9 ]+$/;
const HAS_LETTER = /[A-Za-z]/;
const HOST_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;
const DECIMAL = /^\+?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const WHOLE = /^\+?\d+$/;

export function checkCreateParams(form: URLSearchParams, now: number): ReachParamCheck {
  for (const name of CREATE_PARAMS) {
    if (form.getAll(name).length > 1) return refuse(name, `${name} is given more than once`);
  }
  const value = (name: (typeof CREATE_PARAMS)[number]) => form.get(name) ?? undefined;
  const [dest, src, body] = [value('dest'), value('src'), value('body')];
  if (!dest) return refuse('dest', 'dest is required');
  if (!E164.test(dest)) return refuse('dest', 'dest must be an E.164 phone number (+ and 7 to 15 digits)');
  if (!src) return refuse('src', 'src is required');
  if (!E164.test(src) && !isSenderId(src)) {
    return refuse(
      'src',
      'src must be an E.164 phone number or an alphanumeric sender id: 1 to 11 letters, digits or spaces, one letter at least',
    );
  }
  const bodyProblem = checkBody(body);
  if (bodyProblem) return { ok: false, ...bodyProblem };
  const params: ReachCreateParams = { dest, src, body: body! };

  const bulkIdentifier = value('bulkIdentifier');
  if (bulkIdentifier !== undefined) params.bulkIdentifier = bulkIdentifier;

  const scheduledTime = value('scheduledTime');
  if (scheduledTime !== undefined) {
    const at = parseIsoDateTime(scheduledTime);
    if (at === undefined) {
      return refuse(
        'scheduledTime',
        'scheduledTime must be an ISO 8601 date-time with a zone, e.g. 2016-08-31T01:23:45Z',
      );
    }
    const ahead = at - now;
    if (ahead < REACH_RULES.scheduleMinAheadMs || ahead > REACH_RULES.scheduleMaxAheadMs) {
      return refuse('scheduledTime', 'scheduledTime must be at least 15 minutes and at most 5 days after the request');
    }
    params.scheduledAt = at;
  }

  const statusCallback = value('statusCallback');
  if (statusCallback !== undefined) {
    if (!isCallbackUrl(statusCallback)) {
      return refuse(
        'statusCallback',
        'statusCallback must be an http(s) URL with a valid host name (letters, digits, hyphens; no underscores)',
      );
    }
    params.statusCallback = statusCallback;
  }

  const maxPrice = value('maxPrice');
  if (maxPrice !== undefined) {
    const amount = DECIMAL.test(maxPrice) ? Number(maxPrice) : NaN;
    if (!(Number.isFinite(amount) && amount > 0)) return refuse('maxPrice', 'maxPrice must be a positive amount');
    params.maxPrice = amount;
  }

  const validityPeriod = value('validityPeriod');
  if (validityPeriod !== undefined) {
    const seconds = WHOLE.test(validityPeriod) ? Number(validityPeriod) : NaN;
    if (!(seconds >= 1 && seconds <= REACH_RULES.maxValidityPeriodSec)) {
      return refuse(
        'validityPeriod',
        `validityPeriod must be a whole number of seconds from 1 to ${REACH_RULES.maxValidityPeriodSec} (4 h)`,
      );
    }
    params.validityPeriod = seconds;
  }
  return { ok: true, params };
}

/**
 * The body rule, as the project reads the seed ("jusqu'à 1 600 caractères GSM-7 … ne doit pas
 * dépasser 10 segments"): pure GSM-7 text is accepted up to 1600 septets, the seed's explicit
 * figure, even though that is 11 concatenated parts; any other text goes as UCS-2 and is accepted
 * up to 10 segments (670 UTF-16 code units).
 */
export function checkBody(body: string | undefined): ReachParamProblem | undefined {
  if (!body) return { field: 'body', message: 'body is required' };
  const septets = gsm7Septets(body);
  if (septets !== undefined) {
    if (septets <= REACH_RULES.maxGsm7Septets) return undefined;
    return {
      field: 'body',
      message: `body is ${septets} GSM-7 septets (extension characters count twice); at most ${REACH_RULES.maxGsm7Septets}`,
    };
  }
  const { parts } = countSmsParts(body);
  if (parts <= REACH_RULES.maxUcs2Segments) return undefined;
  return {
    field: 'body',
    message: `body is not pure GSM-7 and needs ${parts} UCS-2 segments (67 UTF-16 units each); at most ${REACH_RULES.maxUcs2Segments}`,
  };
}

function isSenderId(src: string): boolean {
  return src.length <= REACH_RULES.maxSenderIdLength && SENDER_ID.test(src) && HAS_LETTER.test(src);
}

/**
 * "L'URL doit contenir un nom d'hôte valide et les underscores ne sont pas autorisés": we read the
 * underscore rule as part of the host-name rule (RFC 1123 labels: letters, digits, inner hyphens),
 * so `https://my_host.example.com` is refused while an underscore in the path or query is not.
 * An IP address is a valid host too (the sandbox's callbacks go to 127.0.0.1).
 */
function isCallbackUrl(value: string): boolean {
  if (/\s/.test(value)) return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  if (url.hostname.startsWith('[')) return true; // an IPv6 literal, which the URL parser has checked
  const host = url.hostname.endsWith('.') ? url.hostname.slice(0, -1) : url.hostname;
  return host.length > 0 && host.length <= 253 && host.split('.').every((label) => HOST_LABEL.test(label));
}

/** An ISO 8601 date-time with a zone (`Z` or `±hh:mm`), every field in range; epoch ms. */
export function parseIsoDateTime(value: string): number | undefined {
  const m = ISO_DATE_TIME.exec(value);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second = 0] = m.slice(1, 7).map((v) => (v === undefined ? 0 : Number(v)));
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) {
    return undefined;
  }
  let offsetMin = 0;
  const zone = m[8];
  if (zone !== 'Z') {
    const [h, mm] = zone.slice(1).split(':').map(Number);
    if (h > 23 || mm > 59) return undefined;
    offsetMin = (zone.startsWith('-') ? -1 : 1) * (h * 60 + mm);
  }
  const fraction = m[7] ? Math.floor(Number(`0${m[7]}`) * 1000) : 0;
  return Date.UTC(year, month - 1, day, hour, minute, second, fraction) - offsetMin * 60_000;
}

function refuse(field: string, message: string): ReachParamCheck {
  return { ok: false, field, message };
}
