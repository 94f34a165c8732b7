import { z } from 'zod';
import { BULK_DEFAULTS, DEFAULT_DELIVERY_TIMEOUT, OTP_DEFAULTS, VALIDATED } from './defaults';
import { isValidDuration, toMs } from './durations';
import { E164 as E164_RULE, isReachSender, rulesFor, SMSBAT_ID } from './channel-rules';

/**
 * Workflow inputs, validated before a workflow starts (CascadeClient) or, for a flow started any
 * other way, by the worker before anything is sent. Never loaded in the workflow sandbox (zod
 * would cost every cached flow a megabyte); workflows import these types only. Each refuses what
 * a provider would refuse, naming the field, so a bad chain never starts. Defaults are part of the
 * public contract and documented in the README.
 */
export { BULK_DEFAULTS, DEFAULT_DELIVERY_TIMEOUT, OTP_DEFAULTS, VALIDATED };

const duration = z
  .union([z.number().int().nonnegative(), z.string().min(1)])
  .refine(isValidDuration, 'must be a duration such as "90s", "10m", "7d", or milliseconds');
const positiveDuration = duration.refine((d) => toMs(d) > 0, 'must be longer than zero');

export const E164 = z.string().regex(E164_RULE, 'must be an E.164 phone number such as +380501234567');

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
   * How long the provider may keep trying: `step` (default) gives up with the step, so a step we
   * fell back from never delivers late; `flow` keeps the flow's TTL (a plain message that is still
   * welcome late).
   */
  providerExpiry: z.enum(['step', 'flow']).optional(),
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
    // reach.md: an E.164 number registered in the applet, or an alphanumeric sender id.
    src: z
      .string()
      .refine(
        isReachSender,
        'must be an E.164 number or an alphanumeric sender id: 1–11 letters, digits or spaces, at least one letter',
      ),
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
    const needs = rulesFor(step).address;
    if (input.recipient[needs] === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['steps', i, 'channel'],
        message: `a ${step.channel} step needs recipient.${needs}`,
      });
    }
  });
}

/** The text each step would send is one its provider takes (counted as the provider counts). */
function textFitsSteps(text: string, steps: Step[], path: (string | number)[], ctx: z.RefinementCtx): void {
  steps.forEach((step, i) => {
    const problem = rulesFor(step).textProblem(text, step);
    if (problem) ctx.addIssue({ code: 'custom', path, message: `${problem} (steps.${i}: ${step.channel})` });
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
    /** Set by CascadeClient: validated with these schemas, defaults applied (do not set it yourself). */
    validated: z.literal(VALIDATED).optional(),
  })
  .strict()
  .superRefine((input, ctx) => {
    stepsReachable(input, ctx);
    textFitsSteps(input.text, input.steps, ['text'], ctx);
  })
  .transform((input) => ({ ...input, validated: VALIDATED }));
export type DeliverMessageInput = z.input<typeof DeliverMessageInputSchema>;
export type DeliverMessageParams = z.output<typeof DeliverMessageInputSchema>;

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
    /**
     * Set by CascadeClient.startOtp: `request` tells its Update-with-Start a new flow from an
     * existing one. `prefixGuardId` and `proof` came from 0.2.0 clients: read, never trusted (the
     * flow asks the limit store whatever they say).
     */
    guard: z
      .object({
        request: z.string().min(1).max(64).optional(),
        prefixGuardId: z.string().min(1).optional(),
        proof: z.string().min(1).max(128).optional(),
      })
      .strict()
      .optional(),
    validated: z.literal(VALIDATED).optional(),
  })
  .strict()
  .superRefine((input, ctx) => {
    stepsReachable(input, ctx);
    input.steps.forEach((step, i) => {
      // A flash call verifies by the calling number; it can never carry the code.
      if (!rulesFor(step).carriesText(step)) {
        ctx.addIssue({
          code: 'custom',
          path: ['steps', i, 'messageType'],
          message: 'this step carries no text (a flashcall), so it cannot carry a code: not in an OTP chain',
        });
      }
    });
    // The longest text the template can render: the code at its length, the app name in full.
    const widest = input.template
      .replaceAll('{code}', '0'.repeat(input.codeLength))
      .replaceAll('{app}', input.appName ?? '');
    textFitsSteps(widest, input.steps, ['template'], ctx);
  })
  .transform((input) => ({ ...input, validated: VALIDATED }));
export type OtpInput = z.input<typeof OtpInputSchema>;
export type OtpParams = z.output<typeof OtpInputSchema>;

/** Flattens zod issues into `path: message` lines that name the field. */
export function describeIssues(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((i) => ({ path: i.path.join('.') || '(input)', message: i.message }));
}

/** One message of a bulk send; its id goes to SMSBAT as the tracking `id` (letters, digits, - and _). */
export const BulkMessageSchema = z
  .object({
    id: z.string().regex(SMSBAT_ID, 'may contain only letters, digits, - and _ (at most 254)'),
    phone: E164,
    text: z.string().min(1).max(1600),
  })
  .strict();
export type BulkMessage = z.output<typeof BulkMessageSchema>;

/** Inline messages travel in the workflow input, which Temporal limits to 2 MB: counted in UTF-8 bytes. */
const MAX_INLINE_BYTES = 1_000_000;
const utf8Bytes = (s: string) => new TextEncoder().encode(s).length;

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
    /** How long to keep checking statuses after the last send (at most BULK_DEFAULTS.maxTrackFor). */
    trackFor: duration
      .refine((d) => toMs(d) <= toMs(BULK_DEFAULTS.maxTrackFor), `must be at most ${BULK_DEFAULTS.maxTrackFor}`)
      .default(BULK_DEFAULTS.trackFor),
    /**
     * After the campaign paused itself because the provider kept failing (`provider unavailable`),
     * resume on its own this long after pausing (and again after each further pause). Default: wait for `resume`.
     */
    autoResume: positiveDuration.optional(),
    /**
     * SMSBAT cannot be asked whether it took a batch whose answer was lost (a timeout, a 502): by
     * default such messages end `unknown` and are never sent twice. `true` re-sends them (some may
     * then arrive twice).
     */
    resendUnknown: z.boolean().optional(),
    validated: z.literal(VALIDATED).optional(),
  })
  .strict()
  .refine((b) => (b.messages === undefined) !== (b.file === undefined), 'give exactly one of messages or file')
  .superRefine((b, ctx) => {
    const bytes = (b.messages ?? []).reduce((n, m) => n + utf8Bytes(m.text) + m.phone.length + m.id.length + 32, 0);
    if (bytes > MAX_INLINE_BYTES) {
      ctx.addIssue({
        code: 'custom',
        path: ['messages'],
        message: `inline messages take ${bytes} bytes (UTF-8), over ${MAX_INLINE_BYTES}: use a file (Temporal payloads are limited to 2 MB)`,
      });
    }
    b.messages?.forEach((m, i) => textFitsSteps(m.text, [b.step], ['messages', i, 'text'], ctx));
  })
  .transform((b) => ({ ...b, validated: VALIDATED }));
export type BulkSendInput = z.input<typeof BulkSendInputSchema>;
export type BulkSendParams = z.output<typeof BulkSendInputSchema>;
