import { type StepInput } from '../shared/schemas';

/** `--via smsbat,reach,email` plus the per-channel flags → the steps of a chain. */
export function stepsFromFlags(flags: {
  via?: string;
  'from-name'?: string;
  route?: string;
  src?: string;
  subject?: string;
  timeout?: string;
}): StepInput[] {
  const via = (flags.via ?? 'smsbat')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return via.map((channel): StepInput => {
    const deliveryTimeout = flags.timeout;
    switch (channel) {
      case 'smsbat':
        return {
          channel,
          fromName: flags['from-name'] ?? 'Cascade',
          route: (flags.route as 'standard' | 'tg-viber' | undefined) ?? 'standard',
          deliveryTimeout,
        } as StepInput;
      case 'reach':
        return { channel, src: flags.src ?? flags['from-name'] ?? 'Cascade', deliveryTimeout };
      case 'email':
        return { channel, subject: flags.subject, deliveryTimeout };
      default:
        // Left for the schema to reject with a message naming the field.
        return { channel } as unknown as StepInput;
    }
  });
}
