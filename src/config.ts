import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { parseKeyRing, type KeyRing } from './codec/keys';
import { weakSecretReason } from './security/secret-strength';

/**
 * The environment, parsed once at the edge. This is the only module that reads `process.env`;
 * everything else receives a `CascadeConfig` (workers, receivers) or a `CascadeClientConfig`
 * (backends, which need only Temporal, the encryption keys and the OTP secret). Secrets live here
 * and in the clients built from it, never in workflow inputs, and no error repeats a secret.
 */
export const DEFAULT_TASK_QUEUE = 'temporal-cascade';

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));
const httpUrl = z
  .string()
  .url()
  .refine((u) => /^https?:\/\//.test(u), 'must be an http(s) URL');
const positiveInt = z.coerce.number().int().positive();
/** A generated secret: long enough, and not typed by hand (see secret-strength.ts). */
const secret = (min: number) =>
  optionalString.pipe(
    z
      .string()
      .min(min, `must be at least ${min} characters`)
      .superRefine((value, ctx) => {
        const weak = weakSecretReason(value, 8);
        if (weak) ctx.addIssue({ code: 'custom', message: weak });
      })
      .optional(),
  );
const list = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );

const ClientEnv = {
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default(DEFAULT_TASK_QUEUE),
  /** Temporal Cloud API key, or mTLS client certificate and key files, for a remote cluster. */
  TEMPORAL_API_KEY: optionalString,
  TEMPORAL_TLS_CERT_PATH: optionalString,
  TEMPORAL_TLS_KEY_PATH: optionalString,
  /** The key OTP codes are derived from and sealed with (worker and client share it). */
  CASCADE_OTP_SECRET: secret(32),
  /** Payload encryption keys, current first: `k2:<base64 32 bytes>,k1:<…>` (or a file of them). */
  CASCADE_ENCRYPTION_KEYS: optionalString,
  CASCADE_ENCRYPTION_KEY_FILE: optionalString,
  /** `off` stores payloads in clear; anything else requires keys. */
  CASCADE_ENCRYPTION: z.enum(['on', 'off']).default('on'),
};

const EnvSchema = z.object({
  ...ClientEnv,

  SMSBAT_BASE_URL: httpUrl.default('https://restapi.smsbat.com'),
  SMSBAT_API_KEY: optionalString,
  SMSBAT_USERNAME: optionalString,
  SMSBAT_PASSWORD: optionalString,
  SMSBAT_VIBER_TOKEN: optionalString,
  SMSBAT_TG_BOT_KEY: optionalString,
  /** How status checks authenticate (smsbat.md §2): the API key header, Basic user:password, or Basic `@:apikey`. */
  SMSBAT_STATUS_AUTH: optionalString.pipe(z.enum(['apiKey', 'basic', 'basicApiKey']).optional()),
  /** The SMSBAT account's currency (ISO 4217), for the amounts its webhook and basic answer carry without one. */
  SMSBAT_CURRENCY: optionalString.pipe(
    z
      .string()
      .regex(/^[A-Za-z]{3}$/, 'must be a 3-letter currency code such as USD')
      .transform((c) => c.toUpperCase())
      .optional(),
  ),

  REACH_BASE_URL: httpUrl.default('https://api.reach.talkylabs.com'),
  REACH_API_USER: optionalString,
  REACH_API_KEY: optionalString,

  SMTP_URL: optionalString.pipe(
    z
      .string()
      .url()
      .refine((u) => /^smtps?:\/\//.test(u), 'must be an smtp:// or smtps:// URL')
      .optional(),
  ),
  SMTP_FROM: optionalString.pipe(z.string().email().optional()),

  /** Public base URL of the webhook receiver, as providers reach it (Reach status callbacks). */
  CASCADE_PUBLIC_WEBHOOK_URL: optionalString.pipe(httpUrl.optional()),
  /** Secret token that authenticates SMSBAT webhooks (in the URL path or X-Webhook-Token). */
  CASCADE_SMSBAT_WEBHOOK_TOKEN: secret(16),
  /** Where provider message ids are mapped to their flows: `sqlite:<file>` (one host) or `postgres://…`. */
  CASCADE_RECEIPT_INDEX: optionalString,
  /** Bearer token for the receiver's `/metrics` (off when unset). */
  CASCADE_RECEIVER_METRICS_TOKEN: secret(16),

  /** Shared provider health: steps whose provider is unhealthy are skipped (kept in the receipt index's database). */
  CASCADE_PROVIDER_HEALTH: z.enum(['on', 'off']).default('on'),
  /** OTP abuse limits checked inside `otpVerification` itself (children and direct starts too). */
  CASCADE_OTP_LIMITS: z.enum(['on', 'off']).default('on'),
  /** Directories bulk campaign files may be read from (comma-separated); file sources are refused elsewhere. */
  CASCADE_BULK_DIRS: list,

  /** Prometheus metrics from the worker runtime, e.g. `0.0.0.0:9464` (off when unset). */
  CASCADE_METRICS_ADDRESS: optionalString,
  /** A prebuilt workflow bundle (`temporal-cascade bundle`); bundled at start when unset. */
  CASCADE_WORKFLOW_BUNDLE: optionalString,
  /** Workflows the worker keeps in memory between tasks (the SDK sizes it from the heap when unset). */
  CASCADE_MAX_CACHED_WORKFLOWS: optionalString.pipe(
    z.string().regex(/^\d+$/, 'must be a whole number').transform(Number).optional(),
  ),

  /** The codec server for the Web UI: where it listens, the UI origins allowed, the host names it answers, its token. */
  CODEC_SERVER_HOST: z.string().default('127.0.0.1'),
  CODEC_SERVER_PORT: positiveInt.default(8888),
  CODEC_CORS_ORIGINS: z.string().default('http://localhost:8233,http://127.0.0.1:8233'),
  CODEC_SERVER_HOSTNAMES: list,
  CODEC_SERVER_TOKEN: secret(16),

  /** Where the webhook receiver listens. */
  WEBHOOK_HOST: z.string().default('0.0.0.0'),
  WEBHOOK_PORT: positiveInt.default(8091),

  /** Per-call deadline of every provider request, ms. */
  PROVIDER_TIMEOUT_MS: positiveInt.default(10_000),
});

export interface SmsbatConfig {
  baseUrl: string;
  apiKey?: string;
  username?: string;
  password?: string;
  viberToken?: string;
  tgBotKey?: string;
  statusAuth?: 'apiKey' | 'basic' | 'basicApiKey';
  currency?: string;
}

export interface ReachConfig {
  baseUrl: string;
  apiUser: string;
  apiKey: string;
}

export interface EmailConfig {
  url: string;
  from?: string;
}

export interface TemporalConfig {
  address: string;
  namespace: string;
  taskQueue: string;
  apiKey?: string;
  tls?: { certPath: string; keyPath: string };
}

/** What a backend that starts and verifies flows needs: no provider, no worker setting. */
export interface CascadeClientConfig {
  temporal: TemporalConfig;
  otpSecret?: string;
  /** Payload encryption keys; payloads are stored in clear when absent (CASCADE_ENCRYPTION=off). */
  encryption?: KeyRing;
}

export interface CascadeConfig extends CascadeClientConfig {
  /** Absent when no credentials are configured: the provider is simply not offered. */
  smsbat?: SmsbatConfig;
  reach?: ReachConfig;
  email?: EmailConfig;
  worker: { metricsAddress?: string; workflowBundle?: string; maxCachedWorkflows?: number };
  codecServer: { host: string; port: number; allowOrigins: string[]; hostnames: string[]; token?: string };
  webhooks: {
    publicUrl?: string;
    smsbatToken?: string;
    host: string;
    port: number;
    /** The receipt index URL (see CASCADE_RECEIPT_INDEX). */
    receiptIndex: string;
    metricsToken?: string;
  };
  otpLimits: boolean;
  /**
   * Provider health (CASCADE_PROVIDER_HEALTH). `shared`: CASCADE_RECEIPT_INDEX was set, so health
   * lives in that database even for a worker without a receiver.
   */
  providerHealth: { enabled: boolean; shared: boolean };
  bulkDirs: string[];
  providerTimeoutMs: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** The receipt index a single host uses unless told otherwise: a SQLite file in the user's state directory. */
export function defaultReceiptIndexUrl(env: Record<string, string | undefined> = process.env): string {
  const state = env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  return `sqlite:${join(state, 'temporal-cascade', 'receipts.sqlite')}`;
}

/** Parses what a backend needs (Temporal, encryption, OTP secret); throws one ConfigError listing every problem. */
export function loadClientConfig(env: Record<string, string | undefined> = process.env): CascadeClientConfig {
  const parsed = z.object(ClientEnv).safeParse(env);
  if (!parsed.success) throw new ConfigError(issues(parsed.error));
  const problems: string[] = [];
  const client = clientPart(parsed.data, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return client;
}

/** Parses the whole environment (workers, receivers, CLI); throws one ConfigError listing every problem. */
export function loadConfig(env: Record<string, string | undefined> = process.env): CascadeConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError(issues(parsed.error));
  const e = parsed.data;
  const problems: string[] = [];
  const client = clientPart(e, problems);

  if (Boolean(e.SMSBAT_USERNAME) !== Boolean(e.SMSBAT_PASSWORD)) {
    problems.push('SMSBAT_USERNAME and SMSBAT_PASSWORD must be set together');
  }
  if (Boolean(e.REACH_API_USER) !== Boolean(e.REACH_API_KEY)) {
    problems.push('REACH_API_USER and REACH_API_KEY must be set together');
  }
  if (e.SMTP_FROM && !e.SMTP_URL) problems.push('SMTP_FROM is set but SMTP_URL is not');
  if (e.CASCADE_RECEIPT_INDEX && !/^(sqlite:|postgres(ql)?:\/\/)/.test(e.CASCADE_RECEIPT_INDEX)) {
    problems.push('CASCADE_RECEIPT_INDEX: must be sqlite:<file> or a postgres:// URL');
  }
  if (problems.length > 0) throw new ConfigError(problems);

  // SMSBAT sends need one of the three keys; status checks need the API key or user:password.
  const smsbatOffered = Boolean(
    e.SMSBAT_API_KEY || (e.SMSBAT_USERNAME && (e.SMSBAT_VIBER_TOKEN || e.SMSBAT_TG_BOT_KEY)),
  );
  return {
    ...client,
    smsbat: smsbatOffered
      ? {
          baseUrl: e.SMSBAT_BASE_URL,
          apiKey: e.SMSBAT_API_KEY,
          username: e.SMSBAT_USERNAME,
          password: e.SMSBAT_PASSWORD,
          viberToken: e.SMSBAT_VIBER_TOKEN,
          tgBotKey: e.SMSBAT_TG_BOT_KEY,
          statusAuth: e.SMSBAT_STATUS_AUTH,
          currency: e.SMSBAT_CURRENCY,
        }
      : undefined,
    reach:
      e.REACH_API_USER && e.REACH_API_KEY
        ? { baseUrl: e.REACH_BASE_URL, apiUser: e.REACH_API_USER, apiKey: e.REACH_API_KEY }
        : undefined,
    email: e.SMTP_URL ? { url: e.SMTP_URL, from: e.SMTP_FROM } : undefined,
    codecServer: {
      host: e.CODEC_SERVER_HOST,
      port: e.CODEC_SERVER_PORT,
      allowOrigins: e.CODEC_CORS_ORIGINS.split(',')
        .map((o) => o.trim())
        .filter(Boolean),
      hostnames: e.CODEC_SERVER_HOSTNAMES,
      token: e.CODEC_SERVER_TOKEN,
    },
    worker: {
      metricsAddress: e.CASCADE_METRICS_ADDRESS,
      workflowBundle: e.CASCADE_WORKFLOW_BUNDLE,
      maxCachedWorkflows: e.CASCADE_MAX_CACHED_WORKFLOWS,
    },
    webhooks: {
      publicUrl: e.CASCADE_PUBLIC_WEBHOOK_URL,
      smsbatToken: e.CASCADE_SMSBAT_WEBHOOK_TOKEN,
      host: e.WEBHOOK_HOST,
      port: e.WEBHOOK_PORT,
      receiptIndex: e.CASCADE_RECEIPT_INDEX ?? defaultReceiptIndexUrl(env),
      metricsToken: e.CASCADE_RECEIVER_METRICS_TOKEN,
    },
    otpLimits: e.CASCADE_OTP_LIMITS === 'on',
    providerHealth: { enabled: e.CASCADE_PROVIDER_HEALTH === 'on', shared: Boolean(e.CASCADE_RECEIPT_INDEX) },
    bulkDirs: e.CASCADE_BULK_DIRS,
    providerTimeoutMs: e.PROVIDER_TIMEOUT_MS,
  };
}

type ClientEnvValues = z.output<z.ZodObject<typeof ClientEnv>>;

function clientPart(e: ClientEnvValues, problems: string[]): CascadeClientConfig {
  if (Boolean(e.TEMPORAL_TLS_CERT_PATH) !== Boolean(e.TEMPORAL_TLS_KEY_PATH)) {
    problems.push('TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH must be set together');
  }
  let encryption: KeyRing | undefined;
  try {
    const spec =
      e.CASCADE_ENCRYPTION_KEYS ??
      (e.CASCADE_ENCRYPTION_KEY_FILE && readFileSync(e.CASCADE_ENCRYPTION_KEY_FILE, 'utf8'));
    if (spec) encryption = parseKeyRing(spec);
    else if (e.CASCADE_ENCRYPTION === 'on') {
      // Payloads hold phone numbers and texts: clear storage must be a decision, not an accident.
      problems.push(
        'CASCADE_ENCRYPTION_KEYS: set encryption keys, or CASCADE_ENCRYPTION=off to store payloads in clear',
      );
    }
  } catch (err) {
    // parseKeyRing's messages name keys by id or position, never by their material.
    problems.push(`CASCADE_ENCRYPTION_KEYS: ${(err as Error).message}`);
  }
  return {
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      apiKey: e.TEMPORAL_API_KEY,
      tls:
        e.TEMPORAL_TLS_CERT_PATH && e.TEMPORAL_TLS_KEY_PATH
          ? { certPath: e.TEMPORAL_TLS_CERT_PATH, keyPath: e.TEMPORAL_TLS_KEY_PATH }
          : undefined,
    },
    otpSecret: e.CASCADE_OTP_SECRET,
    encryption,
  };
}

/** zod issues as `NAME: message`; a value is never quoted (it may be a secret). */
function issues(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

/** Every environment variable the configuration reads (for docs and deployment checks). */
export const CONFIG_ENV_KEYS = Object.keys(EnvSchema.shape) as (keyof typeof EnvSchema.shape)[];
