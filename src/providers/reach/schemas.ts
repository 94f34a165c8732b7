import { z } from 'zod';
import { E164, isReachSender, reachBodyProblem } from '../../shared/channel-rules';
import { looseCount, looseNumber, looseString, looseTime } from '../tolerant';

/**
 * Reach's shapes (reach.md). What Reach sends is read tolerantly: the API may add fields without
 * notice, and any field but `messageId` and `status` may be missing, null, or a number written as
 * a string. A send the provider accepted must not turn into a "malformed response" because a field
 * we never needed went missing.
 */
export const MessagingItemSchema = z.looseObject({
  messageId: looseString.pipe(z.string({ error: 'is required' })),
  status: looseString.pipe(z.string({ error: 'is required' })),
  body: looseString,
  dest: looseString,
  src: looseString,
  bulkId: looseString,
  numSegments: looseCount,
  price: looseNumber,
  priceUnit: looseString,
  dateCreated: looseTime,
  dateSent: looseTime,
  dateUpdated: looseTime,
  errorCode: looseString,
  errorMessage: looseString,
});
export type ReachMessage = z.output<typeof MessagingItemSchema>;

/** `GET /list` (reach.md, "Other message endpoints"): `page` is 0-based; a missing page count ends the listing. */
export const ListPageSchema = z.looseObject({
  messages: z.array(MessagingItemSchema),
  page: looseCount.transform((n) => n ?? 0),
  pageSize: looseCount,
  totalPages: looseCount.transform((n) => n ?? 0),
  outOfPageRange: z
    .unknown()
    .optional()
    .transform((v) => v === true || v === 'true'),
});

/** Non-2xx bodies (reach.md, "Errors"): every field optional; a field of the wrong type is dropped. */
export const ErrorBodySchema = z.looseObject({
  errorCode: looseString,
  errorMessage: looseString,
  more_info: looseString,
  errorDetails: z.record(z.string(), z.unknown()).optional().catch(undefined),
});

/**
 * A status callback's form fields (reach.md, "Status callbacks"); the list may grow. `dlrDate` is
 * the operator's done date, `YYMMDDhhmm` — read as UTC, also with seconds (`YYMMDDhhmmss`); an
 * empty or unreadable one is no date, never a refused receipt.
 */
export const CallbackSchema = z.looseObject({
  messageId: looseString.pipe(z.string({ error: 'is required' })),
  status: looseString.pipe(z.string({ error: 'is required' })),
  dlrDate: looseString,
  src: looseString,
  dest: looseString,
  bulkId: looseString,
  numSegments: looseCount,
  price: looseNumber,
  priceUnit: looseString,
  errorCode: looseString,
  errorMessage: looseString,
});
export type ReachCallback = z.output<typeof CallbackSchema>;

const MINUTE = 60_000;
/** The create parameters' limits (reach.md, "Send or schedule a message"). */
export const REACH_LIMITS = {
  maxSegments: 10,
  senderIdLength: 11,
  scheduleMinMs: 15 * MINUTE,
  scheduleMaxMs: 5 * 24 * 60 * MINUTE,
  maxValiditySec: 14_400,
} as const;

const HOST_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

/** "Up to 1600 GSM-7 characters … never more than 10 segments": see reachBodyProblem for our reading. */
export const BodySchema = z.string({ error: 'is required' }).superRefine((body, ctx) => {
  const problem = reachBodyProblem(body);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** "must contain a valid host name, underscores not allowed" (reach.md): http(s), DNS labels or an IP. */
export function isStatusCallbackUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  if (url.hostname.startsWith('[')) return true; // an IPv6 literal, already checked by URL
  const labels = url.hostname.replace(/\.$/, '').split('.');
  return url.hostname.length <= 253 && labels.every((label) => HOST_LABEL.test(label));
}

/**
 * `POST /create` parameters, checked exactly as reach.md states them before any request (the
 * simulator checks the form it receives with its own code). `scheduledTime` comes out as a Date.
 */
export function createParamsSchema(now: number) {
  return z.object({
    dest: z.string({ error: 'is required' }).regex(E164, 'must be an E.164 phone number'),
    src: z
      .string({ error: 'is required' })
      .refine(
        isReachSender,
        'must be an E.164 number or an alphanumeric sender id (at most 11 letters, digits or spaces, one letter at least)',
      ),
    body: BodySchema,
    bulkIdentifier: z.string().optional(),
    scheduledTime: z
      .union([z.date(), z.iso.datetime({ offset: true })], { error: 'must be an ISO 8601 date-time' })
      .transform((value) => new Date(value))
      .refine((at) => {
        const ahead = at.getTime() - now;
        return ahead >= REACH_LIMITS.scheduleMinMs && ahead <= REACH_LIMITS.scheduleMaxMs;
      }, 'must be at least 15 minutes and at most 5 days after the request')
      .optional(),
    statusCallback: z
      .string()
      .refine(isStatusCallbackUrl, 'must be an http(s) URL with a valid host name (no underscores)')
      .optional(),
    maxPrice: z.number().positive('must be a positive amount').optional(),
    validityPeriod: z
      .number()
      .int('must be a whole number of seconds')
      .min(1, 'must be at least 1 second')
      .max(REACH_LIMITS.maxValiditySec, `must be at most ${REACH_LIMITS.maxValiditySec} seconds (4 h)`)
      .optional(),
  });
}
export type ReachCreateParams = z.output<ReturnType<typeof createParamsSchema>>;

/** The field a failed parse blames, and why, for typed errors and Reach error bodies. */
export function firstIssue(error: z.ZodError): { field: string; message: string } {
  const issue = error.issues[0];
  const field = issue.path.map(String).join('.') || '(body)';
  return { field, message: `${field} ${issue.message}` };
}
