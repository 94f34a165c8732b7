import { type EmailClient } from '../providers/email/smtp';
import { type ReachClient } from '../providers/reach/client';
import { type SmsbatClient } from '../providers/smsbat/client';
import { type Channel } from '../shared/schemas';
import { EmailChannel } from './email';
import { ReachChannel } from './reach';
import { SmsbatChannel } from './smsbat';
import { ChannelNotConfiguredError, type ChannelAdapter } from './types';

export * from './types';
export { smsbatTrackingId } from './smsbat';

/** The worker's channels, looked up by name; a channel without credentials is absent. */
export class Channels {
  constructor(private readonly adapters: Partial<Record<Channel, ChannelAdapter>>) {}

  get(channel: Channel): ChannelAdapter {
    const adapter = this.adapters[channel];
    if (!adapter) throw new ChannelNotConfiguredError(channel);
    return adapter;
  }
}

export function createChannels(
  clients: { smsbat?: SmsbatClient; reach?: ReachClient; email?: EmailClient },
  options: { reachCallbackUrl?: (workflowId: string, slot?: number) => string } = {},
): Channels {
  return new Channels({
    ...(clients.smsbat ? { smsbat: new SmsbatChannel(clients.smsbat) } : {}),
    ...(clients.reach ? { reach: new ReachChannel(clients.reach, options.reachCallbackUrl) } : {}),
    ...(clients.email ? { email: new EmailChannel(clients.email) } : {}),
  } as Partial<Record<Channel, ChannelAdapter>>);
}
