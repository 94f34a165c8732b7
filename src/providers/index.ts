import { type CascadeConfig } from '../config';
import { EmailClient } from './email/smtp';
import { ReachClient } from './reach/client';
import { SmsbatClient } from './smsbat/client';

export interface ProviderClients {
  smsbat?: SmsbatClient;
  reach?: ReachClient;
  email?: EmailClient;
  close(): Promise<void>;
}

/** One client (one connection pool) per configured provider; unconfigured ones are absent. */
export function createProviderClients(config: CascadeConfig): ProviderClients {
  const timeoutMs = config.providerTimeoutMs;
  const smsbat =
    config.smsbat &&
    new SmsbatClient({
      baseUrl: config.smsbat.baseUrl,
      credentials: config.smsbat,
      statusAuth: config.smsbat.statusAuth,
      currency: config.smsbat.currency,
      timeoutMs,
    });
  const reach = config.reach && new ReachClient({ ...config.reach, timeoutMs });
  const email = config.email && new EmailClient({ url: config.email.url, from: config.email.from, timeoutMs });
  let closing: Promise<void> | undefined;
  return {
    smsbat,
    reach,
    email,
    close() {
      // Idempotent: the plugin closes on worker shutdown, its owner may close again.
      closing ??= Promise.all([smsbat?.close(), reach?.close(), email?.close()]).then(() => undefined);
      return closing;
    },
  };
}
