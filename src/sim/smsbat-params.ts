/**
 * SMSBAT's rules for the messages of a send (smsbat.md §1), checked on the JSON as SMSBAT receives
 * it, as 400s with a code and the field (the codes are the simulator's: the page prints only
 * INVALID_PHONE). Written for the simulator alone, never borrowed from the client's schemas.
 */

const MAX_SCHEDULE_AHEAD_MS = 30 * 86_400_000;
const MESSAGE_TYPES = ['transaction', 'promo', 'viber_survey', 'flashcall'];

export interface SmsbatError {
  status: number;
  code: string;
  message: string;
  field?: string;
  retryAfterSec?: number;
}

export function invalid(code: string, message: string, field?: string): SmsbatError {
  return { status: 400, code, message, field };
}

/**
 * The page's rules for one message (smsbat.md §1), as 400s with a code and the field. An id used
 * twice in one request is refused; across requests the page documents no check, and a retry
 * after a lost answer re-sends the same id, so it is accepted again as a new message.
 */
export function checkMessage(value: unknown, seen: Set<string>, now: number): SmsbatError | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return invalid('INVALID_BODY', 'Each element must be a message object');
  }
  const m = value as Record<string, unknown>;
  for (const field of ['id', 'fromName', 'toPhone', 'messageType']) {
    if (typeof m[field] !== 'string' || m[field] === '') return invalid('MISSING_FIELD', `${field} is required`, field);
  }
  const [id, toPhone, messageType] = [m.id, m.toPhone, m.messageType] as string[];
  if (id.length >= 255 || !/^[A-Za-z0-9._:-]+$/.test(id)) {
    return invalid('INVALID_ID', 'id is under 255 characters, without special characters', 'id');
  }
  if (seen.has(id)) return invalid('DUPLICATE_ID', `id ${id} is used twice in this request`, 'id');
  seen.add(id);
  if (!/^\+[1-9]\d{7,14}$/.test(toPhone)) return invalid('INVALID_PHONE', 'Invalid phone number format', 'toPhone');
  if (!MESSAGE_TYPES.includes(messageType))
    return invalid('INVALID_MESSAGE_TYPE', 'Unknown message type', 'messageType');
  const text = m.text;
  if (messageType === 'flashcall') {
    if (text !== undefined) return invalid('TEXT_NOT_ALLOWED', 'A flashcall carries no text', 'text');
  } else if (typeof text !== 'string' || text === '') {
    return invalid('MISSING_FIELD', 'text is required', 'text');
  }
  if (messageType === 'viber_survey') {
    const options = m.surveyOptions;
    if (
      !Array.isArray(options) ||
      options.length < 2 ||
      options.length > 5 ||
      options.some((o) => typeof o !== 'string')
    ) {
      return invalid('INVALID_SURVEY', 'A survey has 2 to 5 answer options', 'surveyOptions');
    }
    if ((text as string).length > 85) return invalid('TEXT_TOO_LONG', 'Survey text is at most 85 characters', 'text');
  }
  if (m.ttl !== undefined && !(Number.isInteger(m.ttl) && (m.ttl as number) > 0)) {
    return invalid('INVALID_TTL', 'ttl is a positive whole number of seconds', 'ttl');
  }
  if (m.scheduledSent !== undefined) {
    const at = scheduledAt(m.scheduledSent);
    if (at === undefined) return invalid('INVALID_SCHEDULE', 'scheduledSent is an ISO 8601 date-time', 'scheduledSent');
    if (at > now + MAX_SCHEDULE_AHEAD_MS) {
      return invalid('INVALID_SCHEDULE', 'scheduledSent is at most 30 days ahead', 'scheduledSent');
    }
  }
  return undefined;
}

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$/;

/**
 * An ISO 8601 date-time; one without a zone is read as UTC, since the page asks for UTC and its
 * own Python example sends `datetime.isoformat()`, which has no zone.
 */
export function scheduledAt(value: unknown): number | undefined {
  if (typeof value !== 'string' || !ISO_DATE_TIME.test(value)) return undefined;
  const at = Date.parse(/(Z|[+-]\d{2}:\d{2})$/.test(value) ? value : `${value}Z`);
  return Number.isNaN(at) ? undefined : at;
}
