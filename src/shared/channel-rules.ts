import type { Channel, Step } from './schemas';
import { countSegments } from './sms-segments';

/**
 * The providers' documented input rules, in one sandbox-safe place: the workflow input schemas
 * (so a bad chain is refused before it starts, naming the field) and the provider clients (strict
 * writers, checking every request before it leaves) apply the same ones. The simulator checks
 * with its own code, written from the same documents.
 */

/** E.164: `+`, a non-zero digit, 7–15 digits in all (Niue's numbers have 7) (`380…` and `0…` are wrong, smsbat.md §1). */
export const E164 = /^\+[1-9]\d{6,14}$/;

/** SMSBAT tracking `id`: "< 255 chars, avoid special characters"; its examples use `tx-001`. */
export const SMSBAT_ID = /^[A-Za-z0-9_-]{1,254}$/;
/** viber_survey text, counted in characters as a person counts them (code points). */
export const SMSBAT_SURVEY_TEXT_MAX = 85;
export const characters = (text: string): number => [...text].length;

/** Reach `src`: an E.164 number, or an alphanumeric sender id (letters, digits, spaces; one letter at least). */
export const REACH_SENDER_ID = /^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$/;
export const isReachSender = (src: string): boolean => E164.test(src) || REACH_SENDER_ID.test(src);

/**
 * Reach `body`: "up to 1600 GSM-7 characters; fewer when not pure GSM-7; never more than 10
 * segments" (reach.md). The two rules disagree for GSM-7 (ten concatenated parts hold 1530
 * septets): we take the explicit 1600 septets for GSM-7 text, and 10 segments (67 UTF-16 units
 * each, 70 alone) for any other text. Returns why a body is refused, or undefined.
 */
export const REACH_GSM7_MAX_SEPTETS = 1600;
export const REACH_MAX_SEGMENTS = 10;
export function reachBodyProblem(body: string): string | undefined {
  if (body.length === 0) return 'is required';
  const count = countSegments(body);
  if (count.encoding === 'GSM-7') {
    return count.units > REACH_GSM7_MAX_SEPTETS
      ? `is ${count.units} GSM-7 characters; Reach takes at most ${REACH_GSM7_MAX_SEPTETS}`
      : undefined;
  }
  return count.segments > REACH_MAX_SEGMENTS
    ? `needs ${count.segments} UCS-2 segments (${count.units} characters that are not all GSM-7); at most ${REACH_MAX_SEGMENTS}`
    : undefined;
}

type StepOf<C extends Channel> = Extract<Step, { channel: C }>;

/**
 * What each channel asks of a step's input, looked up by channel (never a switch on a provider's
 * name): the sandbox-safe half of each channel's adapter, read by the input schemas, the Web UI's
 * step labels and the CLI.
 */
export interface ChannelRules<S extends Step = Step> {
  /** How operators see the step in the Web UI. */
  label(step: S): string;
  /** The recipient field the step sends to. */
  address: 'phone' | 'email';
  /** Why the provider would refuse this text for this step; undefined when it takes it. */
  textProblem(text: string, step: S): string | undefined;
  /** Whether the step carries the text to the person (a flash call carries none, so never a code). */
  carriesText(step: S): boolean;
}

export const CHANNEL_RULES: { [C in Channel]: ChannelRules<StepOf<C>> } = {
  smsbat: {
    label: (step) => (step.route === 'tg-viber' ? 'SMSBAT cascade (Telegram/Viber first)' : 'SMSBAT cascade'),
    address: 'phone',
    textProblem: (text, step) =>
      step.messageType === 'viber_survey' && characters(text) > SMSBAT_SURVEY_TEXT_MAX
        ? `is ${characters(text)} characters; a Viber survey takes at most ${SMSBAT_SURVEY_TEXT_MAX}`
        : undefined,
    carriesText: (step) => step.messageType !== 'flashcall',
  },
  reach: {
    label: () => 'Reach SMS',
    address: 'phone',
    textProblem: (text) => reachBodyProblem(text),
    carriesText: () => true,
  },
  email: {
    label: () => 'Email',
    address: 'email',
    textProblem: () => undefined,
    carriesText: () => true,
  },
};

export function rulesFor(step: Step): ChannelRules {
  return CHANNEL_RULES[step.channel] as ChannelRules;
}
