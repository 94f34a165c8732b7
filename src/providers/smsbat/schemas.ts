import { z } from 'zod';

/**
 * SMSBAT request and response shapes (smsbat.md §1–3). Where the translated seed text and its
 * JSON examples disagree, the (untranslated) JSON examples win.
 */
export const MESSAGE_TYPES = ['transaction', 'promo', 'viber_survey', 'flashcall'] as const;
export const SURVEY_TEXT_MAX = 85;
export const SURVEY_OPTIONS_MIN = 2;
export const SURVEY_OPTIONS_MAX = 5;
export const SCHEDULE_MAX_DAYS = 30;
const DAY_MS = 86_400_000;

/**
 * One message of a send request (§1). `superRefine` holds the rules that tie fields together; the
 * 30-day horizon reads the clock at parse time, which is when the request is about to go out.
 */
export const SmsbatMessageSchema = z
  .object({
    // "unique per message, < 255 chars, no special characters"
    id: z
      .string()
      .min(1)
      .max(254)
      .regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits and . _ : - only'),
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
      if ((m.text?.length ?? 0) > SURVEY_TEXT_MAX)
        issue('text', `survey text is at most ${SURVEY_TEXT_MAX} characters`);
    } else if (m.surveyOptions !== undefined) {
      issue('surveyOptions', 'only a viber_survey has options');
    }
    if (m.scheduledSent !== undefined && Date.parse(m.scheduledSent) > Date.now() + SCHEDULE_MAX_DAYS * DAY_MS) {
      issue('scheduledSent', `not more than ${SCHEDULE_MAX_DAYS} days ahead`);
    }
  });
export type SmsbatMessageInput = z.output<typeof SmsbatMessageSchema>;

/** The send answer: one element per message, in request order; `trackinId` (sic) echoes our `id`. */
export const SendResponseSchema = z.array(z.object({ messageId: z.string().min(1), trackinId: z.string() }));
export type SmsbatSendAnswer = z.output<typeof SendResponseSchema>[number];

/**
 * `GET /bat/message/{id}` (§2): the basic answer, plus the extended fields when a fallback is
 * configured. Early states answer only `{"deliverystatus":"scheduled","partscount":1}`.
 */
export const StatusResponseSchema = z.object({
  messagelistId: z.number().optional(),
  messageId: z.string().min(1).optional(),
  deliverystatus: z.string().min(1),
  partscount: z.number().int().nonnegative().optional(),
  cost: z.number().optional(),
  fallbacks: z.array(z.object({ type: z.string(), status: z.string() })).optional(),
  extendedStatuses: z.record(z.string(), z.string()).optional(),
  rate: z.number().optional(),
  rateAmount: z.number().optional(),
  rateCurrency: z.string().optional(),
  billAmount: z.number().optional(),
  billCurrency: z.string().optional(),
});
export type SmsbatStatusResponse = z.output<typeof StatusResponseSchema>;

/** `{"error":{"code":"INVALID_PHONE","message":"…","field":"toPhone"}}` (§1, errors). */
export const ErrorBodySchema = z.object({
  error: z.object({ code: z.string().optional(), message: z.string().optional(), field: z.string().optional() }),
});

/** The delivery webhook (§3). Untrusted input: it carries no signature. */
export const WebhookSchema = z.object({
  messageId: z.string().min(1),
  deliverystatus: z.string().min(1),
  timestamp: z.iso.datetime({ offset: true }).optional(),
  cost: z.number().optional(),
});
export type SmsbatWebhook = z.output<typeof WebhookSchema>;
