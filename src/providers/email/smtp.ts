import nodemailer, { type Transporter } from 'nodemailer';
import { z } from 'zod';
import {
  ProviderError,
  ProviderNetworkError,
  ProviderRequestError,
  ProviderServerError,
  ProviderTimeoutError,
  ProviderAuthError,
} from '../errors';
import { type DeliveryStatus } from '../status';

export interface EmailClientOptions {
  /** `smtp://user:pass@host:port` or `smtps://…`; credentials stay inside the transport. */
  url: string;
  /** Default sender when a message names none. */
  from?: string;
  timeoutMs?: number;
}

export interface EmailMessage {
  to: string;
  from?: string;
  subject: string;
  text: string;
  /** Becomes the Message-ID header, so a retried send can be recognised by the receiving side. */
  idempotencyKey?: string;
}

const EmailMessageSchema = z.object({
  to: z.string().email(),
  from: z.string().email().optional(),
  subject: z.string().min(1).max(998),
  text: z.string().min(1),
  idempotencyKey: z
    .string()
    .regex(/^[A-Za-z0-9._:-]+$/)
    .optional(),
});

/**
 * Email over SMTP, the last-resort channel. SMTP has no delivery receipt, so a message the relay
 * accepts is reported as delivered at once; a refused recipient (5xx) fails without retry.
 */
export class EmailClient {
  private readonly transport: Transporter;

  constructor(private readonly options: EmailClientOptions) {
    const timeout = options.timeoutMs ?? 10_000;
    // One options object: nodemailer reads a second argument as message defaults, not as
    // transport options, so timeouts passed that way were silently ignored.
    this.transport = nodemailer.createTransport({
      ...connectionOptions(options.url),
      pool: true,
      maxConnections: 4,
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
    } as nodemailer.TransportOptions);
  }

  async send(message: EmailMessage): Promise<DeliveryStatus> {
    const parsed = EmailMessageSchema.safeParse(message);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ProviderRequestError(`email: invalid ${issue.path.join('.')}: ${issue.message}`, {
        provider: 'email',
        field: issue.path.join('.'),
      });
    }
    const from = message.from ?? this.options.from;
    if (!from)
      throw new ProviderRequestError("email: no sender (set SMTP_FROM or the step's `from`)", {
        provider: 'email',
        field: 'from',
      });
    try {
      const info = await this.transport.sendMail({
        from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        messageId: message.idempotencyKey ? `<${message.idempotencyKey}@temporal-cascade>` : undefined,
      });
      if (info.rejected.length > 0) {
        throw new ProviderRequestError(`email: recipient refused`, { provider: 'email', field: 'to' });
      }
      return {
        provider: 'email',
        providerMessageId: String(info.messageId),
        state: 'delivered',
        rawStatus: 'accepted',
      };
    } catch (err) {
      throw toProviderError(err);
    }
  }

  async verify(): Promise<void> {
    try {
      await this.transport.verify();
    } catch (err) {
      throw toProviderError(err);
    }
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}

/**
 * `smtp://user:pass@host:587` (STARTTLS whenever the server offers it, and required before
 * credentials go to a host other than this machine) or `smtps://…:465` (TLS from the start).
 */
function connectionOptions(url: string) {
  const u = new URL(url);
  const secure = u.protocol === 'smtps:';
  const user = decodeURIComponent(u.username);
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname);
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : secure ? 465 : 587,
    secure,
    ...(user ? { auth: { user, pass: decodeURIComponent(u.password) } } : {}),
    ...(user && !secure && !loopback ? { requireTLS: true } : {}),
  };
}

function toProviderError(err: unknown): ProviderError {
  if (err instanceof ProviderError) return err;
  const e = err as { code?: string; responseCode?: number; message?: string; command?: string };
  const details = { provider: 'email' as const, code: e.responseCode ? String(e.responseCode) : e.code, cause: err };
  const message = `email: ${e.message ?? String(err)}`;
  if (e.code === 'EAUTH') return new ProviderAuthError(message, details);
  if (e.responseCode !== undefined) {
    // 4xx SMTP replies are transient by definition (RFC 5321 §4.2.1); 5xx are permanent.
    return e.responseCode >= 500
      ? new ProviderRequestError(message, { ...details, field: e.command === 'RCPT TO' ? 'to' : undefined })
      : new ProviderServerError(message, details);
  }
  if (e.code === 'ETIMEDOUT') return new ProviderTimeoutError(message, details);
  return new ProviderNetworkError(message, details);
}
