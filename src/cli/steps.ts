import { type StepInput } from '../shared/schemas';

type Flags = {
  via?: string;
  'from-name'?: string;
  route?: string;
  src?: string;
  subject?: string;
  timeout?: string;
};

/** Each channel's step from the command line's flags (a table, looked up by the name in --via). */
const FROM_FLAGS: Record<string, (flags: Flags) => StepInput> = {
  smsbat: (flags) =>
    ({
      channel: 'smsbat',
      fromName: flags['from-name'] ?? 'Cascade',
      route: (flags.route as 'standard' | 'tg-viber' | undefined) ?? 'standard',
      deliveryTimeout: flags.timeout,
    }) as StepInput,
  reach: (flags) => ({
    channel: 'reach',
    src: flags.src ?? flags['from-name'] ?? 'Cascade',
    deliveryTimeout: flags.timeout,
  }),
  email: (flags) => ({ channel: 'email', subject: flags.subject, deliveryTimeout: flags.timeout }),
};

/** `--via smsbat,reach,email` plus the per-channel flags → the steps of a chain. */
export function stepsFromFlags(flags: Flags): StepInput[] {
  const via = (flags.via ?? 'smsbat')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  // An unknown channel is left for the schema to reject with a message naming the field.
  return via.map((channel) => FROM_FLAGS[channel]?.(flags) ?? ({ channel } as unknown as StepInput));
}
