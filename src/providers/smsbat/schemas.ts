import { z } from 'zod';

/** SMSBAT request and response shapes (smsbat.md §1–3). JSON examples in the seeds win. */
export const MESSAGE_TYPES = ['transaction', 'promo', 'viber_survey', 'flashcall'] as const;
export const SURVEY_TEXT_MAX = 85;
export const SCHEDULE_MAX_DAYS = 30;

export const SmsbatMessageSchema = z
  .object({
    // "unique per message, < 255 chars, no special characters"
    id: z
      .string()
      .min(1)
      .max(254)
      .regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits and . _ : - only'),
    fromName: z.string().min(1),
    toPhone: z.string().regex(/^\+[1-9]\d{7,14}$/, 'must be E.164 (+380XXXXXXXXX)'),
    messageType: z.enum(MESSAGE_TYPES),
    text: z.string().min(1).optional(),
    ttl: z.number().int().positive().optional(),
    scheduledSent: z.string().datetime({ offset: true }).optional(),
    surveyOptions: z.array(z.string().min(1)).optional(),
  })
  .superRefine((m, ctx) => {
    if (m.messageType === 'flashcall') {
      if (m.text !== undefined)
        ctx.addIssue({ code: 'custom', path: ['text'], message: 'a flashcall carries no text' });
    } else if (m.text === undefined) {
      ctx.addIssue({ code: 'custom', path: ['text'], message: `required for ${m.messageType}` });
    }
    if (m.messageType === 'viber_survey') {
      const n = m.surveyOptions?.length ?? 0;
      if (n < 2 || n > 5) ctx.addIssue({ code: 'custom', path: ['surveyOptions'], message: '2 to 5 options' });
      if ((m.text?.length ?? 0) > SURVEY_TEXT_MAX) {
        ctx.addIssue({ code: 'custom', path: ['text'], message: `survey text at most ${SURVEY_TEXT_MAX} characters` });
      }
    } else if (m.surveyOptions !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['surveyOptions'], message: 'only for viber_survey' });
    }
  });

/** `trackinId` (sic) is how SMSBAT spells the echo of our `id`. */
export const SendResponseSchema = z.array(z.object({ messageId: z.string().min(1), trackinId: z.string() }));

export const StatusResponseSchema = z.object({
  messagelistId: z.number().optional(),
  // Early states may answer without ids or cost: {"deliverystatus":"scheduled","partscount":1}
  messageId: z.string().optional(),
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

export const ErrorBodySchema = z.object({
  error: z.object({ code: z.string().optional(), message: z.string().optional(), field: z.string().optional() }),
});

export const WebhookSchema = z.object({
  messageId: z.string().min(1),
  deliverystatus: z.string().min(1),
  timestamp: z.string().datetime({ offset: true }).optional(),
  cost: z.number().optional(),
});
