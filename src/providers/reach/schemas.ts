import { z } from 'zod';
import { countSegments } from './segments';

/**
 * Reach's shapes (reach.md). Answers are loose objects: the API may add fields without notice.
 * Only `messageId` and `status` are required of a MessagingItem: a send the provider accepted must
 * not turn into a "malformed response" because a field we never read went missing.
 */
export const MessagingItemSchema = z.looseObject({
  messageId: z.string().min(1),
  status: z.string().min(1),
  appletId: z.string().optional(),
  apiVersion: z.string().optional(),
  body: z.string().optional(),
  dest: z.string().optional(),
  src: z.string().optional(),
  messageType: z.string().optional(),
  numSegments: z.number().int().optional(),
  numMedia: z.number().int().optional(),
  dateCreated: z.string().optional(),
  dateUpdated: z.string().optional(),
  // Null in the seed's examples: no bulk, not priced yet (scheduled), not sent yet, no error.
  bulkId: z.string().nullable().optional(),
  price: z.number().nullable().optional(),
  priceUnit: z.string().nullable().optional(),
  dateSent: z.string().nullable().optional(),
  errorCode: z.union([z.number(), z.string()]).nullable().optional(),
  errorMessage: z.string().nullable().optional(),
});
export type ReachMessage = z.output<typeof MessagingItemSchema>;

/** `GET /list` (reach.md, "Other message endpoints"): `page` is 0-based. */
export const ListPageSchema = z.looseObject({
  messages: z.array(MessagingItemSchema),
  page: z.number().int(),
  pageSize: z.number().int(),
  totalPages: z.number().int(),
  outOfPageRange: z.boolean(),
});

/** Non-2xx bodies (reach.md, "Errors"): every field optional; a field of the wrong type is dropped. */
export const ErrorBodySchema = z.looseObject({
  errorCode: z.union([z.number(), z.string()]).optional().catch(undefined),
  errorMessage: z.string().optional().catch(undefined),
  more_info: z.string().optional().catch(undefined),
  errorDetails: z.record(z.string(), z.unknown()).optional().catch(undefined),
});

/** A status callback's form fields (reach.md, "Status callbacks"); the list may grow. */
export const CallbackSchema = z.looseObject({
  messageId: z.string({ error: 'is required' }).min(1, 'is required'),
  status: z.string({ error: 'is required' }).min(1, 'is required'),
  // The operator receipt's "done date", YYMMDDhhmm.
  dlrDate: z
    .string()
    .regex(/^\d\d(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])([01]\d|2[0-3])[0-5]\d$/, 'must be YYMMDDhhmm')
    .optional(),
  src: z.string().optional(),
  dest: z.string().optional(),
  body: z.string().optional(),
  bulkId: z.string().optional(),
  numSegments: z.string().optional(),
  numMedia: z.string().optional(),
  errorCode: z.string().optional(),
  errorMessage: z.string().optional(),
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

const E164 = /^\+[1-9]\d{6,14}$/;
const SENDER_ID = new RegExp(`^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,${REACH_LIMITS.senderIdLength}}$`);
const HOST_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

/**
 * "Up to 1600 GSM-7 characters … never more than 10 segments". Ten GSM-7 parts hold 10 × 153 =
 * 1530 septets, so the segment rule is the binding one for every alphabet.
 */
export const BodySchema = z
  .string({ error: 'is required' })
  .min(1, 'is required')
  .superRefine((body, ctx) => {
    const { segments, encoding } = countSegments(body);
    if (segments > REACH_LIMITS.maxSegments) {
      ctx.addIssue({ code: 'custom', message: `needs ${segments} ${encoding} segments; at most 10` });
    }
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
 * `POST /create` parameters, checked exactly as reach.md states them. Shared by the client (before
 * any request) and the simulator (on the form it receives), so both refuse the same inputs.
 * Numbers are coerced because a form carries strings; `scheduledTime` comes out as a Date.
 */
export function createParamsSchema(now: number) {
  return z.object({
    dest: z.string({ error: 'is required' }).regex(E164, 'must be an E.164 phone number'),
    src: z
      .string({ error: 'is required' })
      .refine(
        (src) => E164.test(src) || SENDER_ID.test(src),
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
    maxPrice: z.coerce.number().positive('must be a positive amount').optional(),
    validityPeriod: z.coerce
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
