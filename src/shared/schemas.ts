import { z } from 'zod';
import { isValidDuration, toMs } from './durations';

/**
 * Workflow inputs, validated before a workflow starts (client) and again inside it. Sandbox-safe:
 * zod only. Defaults are part of the public contract and documented in the README.
 */
export const DEFAULT_DELIVERY_TIMEOUT = '2m';

const duration = z
  .union([z.number().int().nonnegative(), z.string().min(1)])
  .refine(isValidDuration, 'must be a duration such as "90s", "10m", "7d", or milliseconds');
const positiveDuration = duration.refine((d) => toMs(d) > 0, 'must be longer than zero');

export const E164 = z.string().regex(/^\+[1-9]\d{7,14}$/, 'must be an E.164 phone number such as +380501234567');

/** Tracking ids travel to providers (SMSBAT `id`): the characters SMSBAT allows, bounded length. */
export const TrackingId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._:-]+$/, 'may contain only letters, digits and . _ : -');

export const RecipientSchema = z
  .object({ phone: E164.optional(), email: z.string().email('must be an email address').optional() })
  .strict()
  .refine((r) => r.phone !== undefined || r.email !== undefined, 'needs a phone or an email');

const stepBase = {
  deliveryTimeout: positiveDuration.optional(),
  /**
   * The first status poll after the send (polls back off from there). Default: 5 s, or 1 min when
   * the provider pushes this message's receipt to the webhook receiver (polling is then the safety net).
   */
  pollAfter: positiveDuration.optional(),
};

export const SmsbatStepSchema = z
  .object({
    channel: z.literal('smsbat'),
    route: z.enum(['standard', 'tg-viber']).default('standard'),
    fromName: z.string().min(1).max(64),
    messageType: z.enum(['transaction', 'promo', 'viber_survey', 'flashcall']).default('transaction'),
    surveyOptions: z.array(z.string().min(1)).min(2).max(5).optional(),
    ...stepBase,
  })
  .strict()
  .refine((s) => (s.messageType === 'viber_survey') === (s.surveyOptions !== undefined), {
    message: 'surveyOptions (2–5) go with messageType "viber_survey", and only with it',
    path: ['surveyOptions'],
  });

export const ReachStepSchema = z
  .object({
    channel: z.literal('reach'),
    src: z.string().min(1).max(20),
    maxPrice: z.number().positive().optional(),
    ...stepBase,
  })
  .strict();

export const EmailStepSchema = z
  .object({
    channel: z.literal('email'),
    from: z.string().email().optional(),
    subject: z.string().min(1).max(200).optional(),
    ...stepBase,
  })
  .strict();

export const StepSchema = z.discriminatedUnion('channel', [SmsbatStepSchema, ReachStepSchema, EmailStepSchema]);
export type Step = z.output<typeof StepSchema>;
export type StepInput = z.input<typeof StepSchema>;
export type Channel = Step['channel'];
export type Recipient = z.output<typeof RecipientSchema>;

function stepsReachable(input: { recipient: Recipient; steps: Step[] }, ctx: z.RefinementCtx): void {
  input.steps.forEach((step, i) => {
    const needs = step.channel === 'email' ? 'email' : 'phone';
    if (input.recipient[needs] === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['steps', i, 'channel'],
        message: `a ${step.channel} step needs recipient.${needs}`,
      });
    }
  });
}

const steps = z.array(StepSchema).min(1, 'needs at least one step').max(10);

export const DeliverMessageInputSchema = z
  .object({
    trackingId: TrackingId,
    recipient: RecipientSchema,
    text: z.string().min(1).max(1600),
    steps,
    /** Whole-flow deadline. */
    ttl: positiveDuration.optional(),
    /** ISO 8601 time of the first send. */
    sendAt: z.string().datetime({ offset: true }).optional(),
  })
  .strict()
  .superRefine(stepsReachable);
export type DeliverMessageInput = z.input<typeof DeliverMessageInputSchema>;
export type DeliverMessageParams = z.output<typeof DeliverMessageInputSchema>;

export const OTP_DEFAULTS = {
  codeLength: 6,
  codeTtl: '10m',
  maxAttempts: 5,
  maxSends: 5,
  resendCooldown: '30s',
} as const;

export const OtpInputSchema = z
  .object({
    trackingId: TrackingId,
    recipient: RecipientSchema,
    steps,
    template: z
      .string()
      .min(1)
      .max(1000)
      .refine((t) => t.includes('{code}'), 'must contain {code}'),
    codeLength: z.number().int().min(4).max(10).default(OTP_DEFAULTS.codeLength),
    codeTtl: positiveDuration.default(OTP_DEFAULTS.codeTtl),
    maxAttempts: z.number().int().min(1).max(20).default(OTP_DEFAULTS.maxAttempts),
    maxSends: z.number().int().min(1).max(10).default(OTP_DEFAULTS.maxSends),
    resendCooldown: duration.default(OTP_DEFAULTS.resendCooldown),
    appName: z.string().min(1).max(64).optional(),
    /** Set by the client when abuse limits are on: the prefix guard told when the code converts. */
    guard: z
      .object({ prefixGuardId: z.string().min(1) })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine(stepsReachable);
export type OtpInput = z.input<typeof OtpInputSchema>;
export type OtpParams = z.output<typeof OtpInputSchema>;

/** Flattens zod issues into `path: message` lines that name the field. */
export function describeIssues(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((i) => ({ path: i.path.join('.') || '(input)', message: i.message }));
}

/** One message of a bulk send. */
export const BulkMessageSchema = z.object({ id: TrackingId, phone: E164, text: z.string().min(1).max(1600) }).strict();
export type BulkMessage = z.output<typeof BulkMessageSchema>;

export const BULK_DEFAULTS = { batchSize: 1000, ratePerSecond: 200, trackFor: '10m', maxInline: 10_000 } as const;

/**
 * A campaign: messages inline (up to 10 000) or in a file the workers can read (CSV with a header
 * `id,phone,text`, or JSON lines), sent through one SMS provider in batches.
 */
export const BulkSendInputSchema = z
  .object({
    bulkId: TrackingId,
    step: z.discriminatedUnion('channel', [SmsbatStepSchema, ReachStepSchema]),
    messages: z.array(BulkMessageSchema).min(1).max(BULK_DEFAULTS.maxInline).optional(),
    file: z
      .object({ path: z.string().min(1), format: z.enum(['csv', 'jsonl']).optional() })
      .strict()
      .optional(),
    /** Messages per provider request (SMSBAT accepts up to 1000). */
    batchSize: z.number().int().min(1).max(1000).default(BULK_DEFAULTS.batchSize),
    /** Messages per second sent to the provider (the cap only catches typos: ask your provider for its limit). */
    ratePerSecond: z.number().positive().max(100_000).default(BULK_DEFAULTS.ratePerSecond),
    /** How long to keep checking statuses after the last send. */
    trackFor: duration.default(BULK_DEFAULTS.trackFor),
  })
  .strict()
  .refine((b) => (b.messages === undefined) !== (b.file === undefined), 'give exactly one of messages or file')
  .refine(
    (b) => (b.messages ?? []).reduce((n, m) => n + m.text.length + m.phone.length + m.id.length, 0) <= 1_000_000,
    { message: 'inline messages over 1 MB: use a file (Temporal payloads are limited to 2 MB)', path: ['messages'] },
  );
export type BulkSendInput = z.input<typeof BulkSendInputSchema>;
export type BulkSendParams = z.output<typeof BulkSendInputSchema>;
