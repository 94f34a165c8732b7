import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseKeyRing, type KeyRing } from './codec/keys';

/**
 * The environment, parsed once at the edge. This is the only module that reads `process.env`;
 * everything else receives a `CascadeConfig`. Secrets live here and in the provider clients built
 * from it, never in workflow inputs.
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

const EnvSchema = z.object({
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default(DEFAULT_TASK_QUEUE),
  /** Temporal Cloud API key, or mTLS client certificate and key files, for a remote cluster. */
  TEMPORAL_API_KEY: optionalString,
  TEMPORAL_TLS_CERT_PATH: optionalString,
  TEMPORAL_TLS_KEY_PATH: optionalString,

  SMSBAT_BASE_URL: httpUrl.default('https://restapi.smsbat.com'),
  SMSBAT_API_KEY: optionalString,
  SMSBAT_USERNAME: optionalString,
  SMSBAT_PASSWORD: optionalString,
  SMSBAT_VIBER_TOKEN: optionalString,
  SMSBAT_TG_BOT_KEY: optionalString,

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

  /** Worker-side key the OTP codes are derived from and sealed with (at least 32 characters). */
  CASCADE_OTP_SECRET: optionalString.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
  /** Public base URL of the webhook receiver, as providers reach it (Reach status callbacks). */
  CASCADE_PUBLIC_WEBHOOK_URL: optionalString.pipe(httpUrl.optional()),
  /** Secret token that authenticates SMSBAT webhooks (in the URL path or X-Webhook-Token). */
  CASCADE_SMSBAT_WEBHOOK_TOKEN: optionalString.pipe(z.string().min(16, 'must be at least 16 characters').optional()),

  /** Prometheus metrics from the worker runtime, e.g. `0.0.0.0:9464` (off when unset). */
  CASCADE_METRICS_ADDRESS: optionalString,
  /** A prebuilt workflow bundle (`npm run build:bundle`); bundled at start when unset. */
  CASCADE_WORKFLOW_BUNDLE: optionalString,
  /** Workflows the worker keeps in memory between tasks (the SDK sizes it from the heap when unset). */
  CASCADE_MAX_CACHED_WORKFLOWS: optionalString.pipe(
    z.string().regex(/^\d+$/, 'must be a whole number').transform(Number).optional(),
  ),

  /** Payload encryption keys, current first: `k2:<base64 32 bytes>,k1:<…>` (or a file of them). */
  CASCADE_ENCRYPTION_KEYS: optionalString,
  CASCADE_ENCRYPTION_KEY_FILE: optionalString,
  /** `off` stores payloads in clear; anything else requires keys. */
  CASCADE_ENCRYPTION: z.enum(['on', 'off']).default('on'),

  /** The codec server for the Web UI: port, the UI origins allowed to call it, optional bearer token. */
  CODEC_SERVER_PORT: positiveInt.default(8888),
  CODEC_CORS_ORIGINS: z.string().default('http://localhost:8233,http://127.0.0.1:8233'),
  CODEC_SERVER_TOKEN: optionalString,

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

export interface CascadeConfig {
  temporal: {
    address: string;
    namespace: string;
    taskQueue: string;
    apiKey?: string;
    tls?: { certPath: string; keyPath: string };
  };
  /** Absent when no credentials are configured: the provider is simply not offered. */
  smsbat?: SmsbatConfig;
  reach?: ReachConfig;
  email?: EmailConfig;
  otpSecret?: string;
  /** Payload encryption keys; payloads are stored in clear when absent. */
  encryption?: KeyRing;
  worker: { metricsAddress?: string; workflowBundle?: string; maxCachedWorkflows?: number };
  codecServer: { port: number; allowOrigins: string[]; token?: string };
  webhooks: { publicUrl?: string; smsbatToken?: string; host: string; port: number };
  providerTimeoutMs: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment; throws one ConfigError listing every problem. */
export function loadConfig(env: Record<string, string | undefined> = process.env): CascadeConfig {
  const parsed = EnvSchema.safeParse(env);
  const problems: string[] = parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  if (!parsed.success) throw new ConfigError(problems);
  const e = parsed.data;

  if (Boolean(e.SMSBAT_USERNAME) !== Boolean(e.SMSBAT_PASSWORD)) {
    problems.push('SMSBAT_USERNAME and SMSBAT_PASSWORD must be set together');
  }
  if (Boolean(e.REACH_API_USER) !== Boolean(e.REACH_API_KEY)) {
    problems.push('REACH_API_USER and REACH_API_KEY must be set together');
  }
  if (Boolean(e.TEMPORAL_TLS_CERT_PATH) !== Boolean(e.TEMPORAL_TLS_KEY_PATH)) {
    problems.push('TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH must be set together');
  }
  if (e.SMTP_FROM && !e.SMTP_URL) problems.push('SMTP_FROM is set but SMTP_URL is not');
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
    problems.push(`CASCADE_ENCRYPTION_KEYS: ${(err as Error).message}`);
  }
  if (problems.length > 0) throw new ConfigError(problems);

  // SMSBAT sends need one of the three keys; status checks need the API key or user:password.
  const smsbatOffered = Boolean(
    e.SMSBAT_API_KEY || (e.SMSBAT_USERNAME && (e.SMSBAT_VIBER_TOKEN || e.SMSBAT_TG_BOT_KEY)),
  );
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
    smsbat: smsbatOffered
      ? {
          baseUrl: e.SMSBAT_BASE_URL,
          apiKey: e.SMSBAT_API_KEY,
          username: e.SMSBAT_USERNAME,
          password: e.SMSBAT_PASSWORD,
          viberToken: e.SMSBAT_VIBER_TOKEN,
          tgBotKey: e.SMSBAT_TG_BOT_KEY,
        }
      : undefined,
    reach:
      e.REACH_API_USER && e.REACH_API_KEY
        ? { baseUrl: e.REACH_BASE_URL, apiUser: e.REACH_API_USER, apiKey: e.REACH_API_KEY }
        : undefined,
    email: e.SMTP_URL ? { url: e.SMTP_URL, from: e.SMTP_FROM } : undefined,
    otpSecret: e.CASCADE_OTP_SECRET,
    encryption,
    codecServer: {
      port: e.CODEC_SERVER_PORT,
      allowOrigins: e.CODEC_CORS_ORIGINS.split(',')
        .map((o) => o.trim())
        .filter(Boolean),
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
    },
    providerTimeoutMs: e.PROVIDER_TIMEOUT_MS,
  };
}

/** Every environment variable the configuration reads (for docs and deployment checks). */
export const CONFIG_ENV_KEYS = Object.keys(EnvSchema.shape) as (keyof typeof EnvSchema.shape)[];
