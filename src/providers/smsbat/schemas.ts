import { z } from 'zod';
import { looseCount, looseNumber, looseString, looseTime } from '../tolerant';

/**
 * SMSBAT request and response shapes (smsbat.md §1–3). Where the translated seed text and its
 * JSON examples disagree, the (untranslated) JSON examples win.
 */
export const MESSAGE_TYPES = ['transaction', 'promo', 'viber_survey', 'flashcall'] as const;
export const SURVEY_TEXT_MAX = 85;
export const SURVEY_OPTIONS_MIN = 2;
export const SURVEY_OPTIONS_MAX = 5;
export const SCHEDULE_MAX_DAYS = 30;
/** What we send as a tracking `id`: the characters the page's examples use. */
export const SMSBAT_ID = /^[A-Za-z0-9_-]+$/;

/** Survey text is counted in characters as a person counts them (code points, not UTF-16 units). */
export function characters(text: string): number {
  return [...text].length;
}
const DAY_MS = 86_400_000;

/**
 * One message of a send request (§1). `superRefine` holds the rules that tie fields together; the
 * 30-day horizon reads the clock at parse time, which is when the request is about to go out.
 */
export const SmsbatMessageSchema = z
  .object({
    // "unique per message, < 255 chars, avoid special characters" (the page's examples: `tx-001`).
    id: z.string().min(1).max(254).regex(SMSBAT_ID, 'letters, digits, - and _ only'),
    fromName: z.string().min(1),
    // E.164: `+`, then 8–15 digits, never starting with 0 (`380…` and `0…` are wrong, §1).
    toPhone: z.string().regex(/^\+[1-9]\d{7,14}$/, 'must be E.164, like +380501234567'),
    messageType: z.enum(MESSAGE_TYPES),
    text: z.string().min(1).optional(),
    ttl: z.number().int().positive().optional(),
    // "ISO 8601 date-time (UTC)": we send only the unambiguous `…Z` form.
    scheduledSent: z.iso
      .datetime({ message: 'must be an ISO 8601 UTC date-time, like 2025-01-25T10:00:00Z' })
      .optional(),
    surveyOptions: z.array(z.string().min(1)).optional(),
  })
  .superRefine((m, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (m.messageType === 'flashcall') {
      // A flash call verifies by the calling number; it carries no text.
      if (m.text !== undefined) issue('text', 'a flashcall carries no text');
    } else if (m.text === undefined) {
      issue('text', `required for ${m.messageType}`);
    }
    if (m.messageType === 'viber_survey') {
      const n = m.surveyOptions?.length ?? 0;
      if (n < SURVEY_OPTIONS_MIN || n > SURVEY_OPTIONS_MAX) {
        issue('surveyOptions', `a survey has ${SURVEY_OPTIONS_MIN} to ${SURVEY_OPTIONS_MAX} options`);
      }
      if (characters(m.text ?? '') > SURVEY_TEXT_MAX)
        issue('text', `survey text is at most ${SURVEY_TEXT_MAX} characters`);
    } else if (m.surveyOptions !== undefined) {
      issue('surveyOptions', 'only a viber_survey has options');
    }
    if (m.scheduledSent !== undefined && Date.parse(m.scheduledSent) > Date.now() + SCHEDULE_MAX_DAYS * DAY_MS) {
      issue('scheduledSent', `not more than ${SCHEDULE_MAX_DAYS} days ahead`);
    }
  });
export type SmsbatMessageInput = z.output<typeof SmsbatMessageSchema>;

/**
 * The send answer: one element per message, in request order; `trackinId` (sic) echoes our `id`.
 * Read tolerantly: a message id given as a number, unknown fields, and the correct spelling too.
 */
export const SendResponseSchema = z.array(
  z
    .looseObject({ messageId: looseString, trackinId: looseString, trackingId: looseString })
    .transform((a) => ({ messageId: a.messageId, trackinId: a.trackinId ?? a.trackingId })),
);
export type SmsbatSendAnswer = z.output<typeof SendResponseSchema>[number];

/**
 * `GET /bat/message/{id}` (§2): the basic answer, plus the extended fields when a fallback is
 * configured. Early states answer only `{"deliverystatus":"scheduled","partscount":1}`. Every field
 * but the status may be missing, null, or a number written as a string.
 */
export const StatusResponseSchema = z.looseObject({
  messagelistId: looseString,
  messageId: looseString,
  deliverystatus: looseString.pipe(z.string({ error: 'is required' })),
  partscount: looseCount,
  cost: looseNumber,
  fallbacks: z
    .unknown()
    .optional()
    .transform((v) =>
      Array.isArray(v)
        ? v.flatMap((f: { type?: unknown; status?: unknown }) =>
            typeof f?.type === 'string' && typeof f?.status === 'string' ? [{ type: f.type, status: f.status }] : [],
          )
        : undefined,
    ),
  extendedStatuses: z
    .unknown()
    .optional()
    .transform((v) =>
      v && typeof v === 'object' && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string'))
        : undefined,
    ),
  rate: looseNumber,
  rateAmount: looseNumber,
  rateCurrency: looseString,
  billAmount: looseNumber,
  billCurrency: looseString,
});
export type SmsbatStatusResponse = z.output<typeof StatusResponseSchema>;

/** `{"error":{"code":"INVALID_PHONE","message":"…","field":"toPhone"}}` (§1, errors); any part may be missing. */
export const ErrorBodySchema = z.looseObject({
  error: z.looseObject({ code: looseString, message: looseString, field: looseString }),
});

/**
 * The delivery webhook (§3). Untrusted input: it carries no signature. Only the message id and the
 * status word are needed; `cost: null`, `"0.05"`, a time without a zone are all read.
 */
export const WebhookSchema = z.looseObject({
  messageId: looseString.pipe(z.string({ error: 'is required' })),
  deliverystatus: looseString.pipe(z.string({ error: 'is required' })),
  timestamp: looseTime,
  cost: looseNumber,
  partscount: looseCount,
});
export type SmsbatWebhook = z.output<typeof WebhookSchema>;

/** The webhook fields we read, for naming those that came but could not be read. */
export const WEBHOOK_FIELDS = ['timestamp', 'cost', 'partscount'];
