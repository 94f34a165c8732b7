/**
 * `temporal-cascade`: send messages, run OTP flows and campaigns from a shell.
 *
 * Every command is one entry of COMMANDS (its usage line, its own flags, whether it needs Temporal,
 * and what it does with a CliContext): a new command is a module exporting a CliCommand and one
 * line in that table. Output: `out` is stdout (under --json, one JSON document per line and
 * nothing else), `err` is stderr (for people). Exit codes are EXIT, documented in the README.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { type DataConverter } from '@temporalio/common';
import {
  CascadeClient,
  CascadeFlowNotFoundError,
  CascadeLimitError,
  CascadeResendRefusedError,
  CascadeValidationError,
} from '../client';
import { dataConverterFor } from '../codec/data-converter';
import { type CascadeClientConfig, ConfigError, defaultReceiptIndexUrl, loadClientConfig } from '../config';
import { progressQuery } from '../shared/messages';
import { type BulkSendInput } from '../shared/schemas';
import { type BulkProgress, type DeliveryResult, type OtpResult } from '../shared/types';
import { CascadeSetupError, registerSearchAttributes } from '../setup/search-attributes';
import { connectionAuth } from '../temporal-connection';
import { checkCodec, CodecMismatchError } from './codec-check';
import { failureReason, inUserTerms, progressBar } from './format';
import { withSandboxSettings } from './sandbox-settings';
import { failureMessage, flowStatus, renderStatus } from './status';
import { GUARD_USAGE, runGuard } from './guard';
import { PROVIDER_USAGE, providerCommand } from './provider';
import { stepsFromFlags } from './steps';
import { bulkResumeCommand } from './bulk-resume';

export const EXIT = {
  /** Done: delivered, approved, accepted, a campaign completed. */
  ok: 0,
  /** The flow ended otherwise (failed, expired, canceled), or refused for good. */
  flowFailed: 1,
  /** Invalid usage or input (nothing was started). */
  usage: 2,
  /** No such flow. */
  notFound: 3,
  /** Configuration or connection problem (nothing was started). */
  config: 4,
  /** Refused for now: a resend during its cooldown, a limit with a retry time. Try again later. */
  later: 5,
} as const;

export type Flags = Record<string, string | boolean | undefined>;

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Whether `out` is a terminal (progress is then redrawn in place). */
  isTty?: boolean;
  /** Writes without a newline (progress redraws). */
  write?: (text: string) => void;
  /** Reads a line (a code not given on the command line): a prompt on a terminal, else stdin. */
  readLine?: (prompt: string) => Promise<string>;
}

export interface CliContext {
  args: string[];
  flags: Flags;
  json: boolean;
  io: CliIo;
  /** Output: the human line on stdout, or the data as one JSON line under --json. */
  print(human: string, data: unknown): void;
  /** Connected commands only. */
  client: Client;
  cascade: CascadeClient;
  config: CascadeClientConfig;
  dataConverter?: DataConverter;
}

export interface CliCommand {
  /** Usage lines, shown by --help and after a usage error of this command. */
  usage: string[];
  /** Its flags, beside the shared ones. */
  options?: ParseArgsConfig['options'];
  /** 'none': needs no Temporal connection; 'setup': a connection, no encryption settings. Default: 'client'. */
  needs?: 'none' | 'setup' | 'client';
  /** Checks the words after the command before anything connects (throws UsageError). */
  check?(args: string[]): void;
  run(ctx: CliContext): Promise<number>;
}

export class UsageError extends Error {}

/** A flow ended in failure; its id and reason go on the command line. */
export class FlowFailedError extends Error {
  constructor(
    readonly id: string,
    readonly reason: string,
  ) {
    super(`${id} failed: ${reason}`);
  }
}

const STEP_FLAGS: ParseArgsConfig['options'] = {
  to: { type: 'string' },
  email: { type: 'string' },
  via: { type: 'string' },
  'from-name': { type: 'string' },
  route: { type: 'string' },
  src: { type: 'string' },
  subject: { type: 'string' },
  timeout: { type: 'string' },
  'tracking-id': { type: 'string' },
};

const send: CliCommand = {
  usage: [
    'send --to <+E164> [--email <addr>] --text <text> [--via smsbat,reach,email] [--from-name N] [--src S] [--subject S] [--timeout 2m] [--ttl 10m] [--tracking-id ID] [--wait]',
  ],
  options: { ...STEP_FLAGS, text: { type: 'string' }, ttl: { type: 'string' }, wait: { type: 'boolean' } },
  async run({ cascade, flags, print }) {
    const { id, started } = await cascade.sendMessage({
      trackingId: str(flags['tracking-id']) ?? `cli-${randomUUID()}`,
      recipient: { phone: str(flags.to), email: str(flags.email) },
      text: str(flags.text) ?? '',
      steps: steps(flags),
      ttl: str(flags.ttl),
    });
    if (!flags.wait) {
      print(`${started ? 'started' : 'already exists'}: ${id}`, { id, started });
      return EXIT.ok;
    }
    const result = await outcome(id, cascade.result(id) as Promise<DeliveryResult>);
    const human =
      result.status === 'delivered'
        ? `${id}: delivered via ${result.deliveredBy?.channel ?? '?'}`
        : `${id}: ${result.status} — ${failureReason(result.attempts)}`;
    print(human, { id, ...result });
    return result.status === 'delivered' ? EXIT.ok : EXIT.flowFailed;
  },
};

const otp: CliCommand = {
  usage: [
    'otp start --to <+E164> [--email <addr>] --template "Code: {code}" [--via …] [--tracking-id ID]',
    'otp verify <id> [<code>]     (without <code>: asks for it, or reads it from stdin)',
    'otp resend <id> [--next-step]',
    'otp cancel <id>',
    'otp result <id>',
  ],
  options: { ...STEP_FLAGS, template: { type: 'string' }, 'next-step': { type: 'boolean' } },
  check([sub, id]) {
    if (!sub) throw new UsageError('otp needs a command');
    if (!['start', 'verify', 'resend', 'cancel', 'result'].includes(sub))
      throw new UsageError(`unknown otp command: ${sub}`);
    if (sub !== 'start') need(id, 'id');
  },
  async run({ cascade, args, flags, print, io }) {
    const [sub, id, code] = args;
    switch (sub) {
      case 'start': {
        const started = await cascade.startOtp({
          trackingId: str(flags['tracking-id']) ?? `cli-${randomUUID()}`,
          recipient: { phone: str(flags.to), email: str(flags.email) },
          steps: steps(flags),
          template: str(flags.template) ?? 'Your code is {code}',
        });
        print(`${started.started ? 'started' : 'already exists'}: ${started.id}`, started);
        return EXIT.ok;
      }
      case 'verify': {
        need(id, 'id');
        const typed = code ?? (await readCode(io));
        const result = await cascade.verifyOtp(id, typed);
        print(
          result.status === 'approved' ? 'approved' : `${result.status} (${result.attemptsLeft} attempts left)`,
          result,
        );
        return result.status === 'approved' ? EXIT.ok : EXIT.flowFailed;
      }
      case 'resend': {
        const result = await cascade.resendOtp(need(id, 'id'), { nextStep: Boolean(flags['next-step']) });
        const next = new Date(result.nextResendAt).toISOString();
        print(`resent (send ${result.sends}, ${result.sendsLeft} left; next resend from ${next})`, {
          ...result,
          nextResendAt: next,
        });
        return EXIT.ok;
      }
      case 'cancel':
        await cascade.cancel(need(id, 'id'));
        print(`cancel sent to ${id}`, { id, canceled: true });
        return EXIT.ok;
      case 'result': {
        const result = await outcome(need(id, 'id'), cascade.result(id) as Promise<OtpResult>);
        print(
          result.status === 'approved' ? 'approved' : `${result.status} — ${failureReason(result.attempts)}`,
          result,
        );
        return result.status === 'approved' ? EXIT.ok : EXIT.flowFailed;
      }
      default:
        throw new UsageError(sub ? `unknown otp command: ${sub}` : 'otp needs a command');
    }
  },
};

const cancel: CliCommand = {
  usage: ['cancel <id>'],
  check: ([id]) => void need(id, 'id'),
  async run({ cascade, args, print }) {
    await cascade.cancel(need(args[0], 'id'));
    print(`cancel sent to ${args[0]}`, { id: args[0], canceled: true });
    return EXIT.ok;
  },
};

const status: CliCommand = {
  usage: ['status <id>                 any flow: deliver:…, otp:…, bulk:… and its chunks'],
  check: ([id]) => void need(id, 'id'),
  async run({ client, args, print }) {
    const view = await flowStatus(client, need(args[0], 'id'));
    print(renderStatus(view), view);
    return EXIT.ok;
  },
};

const guard: CliCommand = {
  usage: [GUARD_USAGE],
  options: { reason: { type: 'string' }, policy: { type: 'string' } },
  check([sub, prefix]) {
    if (sub === 'list') return;
    if (!sub || !['status', 'block', 'unblock'].includes(sub))
      throw new UsageError(`unknown guard command: ${sub ?? ''}`);
    if (!prefix || !/^\+\d{1,8}$/.test(prefix)) throw new UsageError('guard needs a prefix: + and digits, e.g. +38050');
  },
  // The limits live in the limit store (the receipt index's database): no Temporal needed.
  needs: 'none',
  async run({ args, flags, print }) {
    const { env } = withSandboxSettings(process.env);
    const url = env.CASCADE_RECEIPT_INDEX ?? defaultReceiptIndexUrl(env);
    return runGuard(url, args[0], args.slice(1), flags, print);
  },
};

const bulk: CliCommand = {
  usage: [
    'bulk <file.csv|file.jsonl> [--via smsbat|reach] [--from-name N] [--src S] [--rate 200] [--bulk-id ID]   (exit 0 once every message has its final state)',
    'bulk resume <bulk-id>       resume a paused campaign; restart an ended one from its progress',
  ],
  options: { ...STEP_FLAGS, rate: { type: 'string' }, 'bulk-id': { type: 'string' } },
  check: ([file, bulkId]) => void (file === 'resume' ? need(bulkId, 'bulk-id') : need(file, 'file')),
  async run({ client, cascade, args, flags, json, io, print }) {
    if (args[0] === 'resume') {
      return (await bulkResumeCommand(cascade, need(args[1], 'bulk-id'), print)) ? EXIT.ok : EXIT.flowFailed;
    }
    const file = need(args[0], 'file');
    const step = steps({ ...flags, via: str(flags.via) ?? 'smsbat' });
    if (step.length !== 1) throw new UsageError('--via: a campaign goes through one channel (smsbat or reach)');
    const rate = flags.rate === undefined ? undefined : Number(flags.rate);
    if (rate !== undefined && !(rate > 0)) throw new UsageError(`--rate: not a positive number: ${String(flags.rate)}`);
    const { id } = await cascade.startBulk({
      bulkId: str(flags['bulk-id']) ?? `bulk-${Date.now()}`,
      step: step[0] as BulkSendInput['step'],
      // `npm run` runs in the package's directory; the path is the one the user typed where they are.
      file: { path: resolve(process.env.INIT_CWD ?? process.cwd(), file) },
      ratePerSecond: rate,
    });
    const handle = client.workflow.getHandle(id);
    const result = outcome(id, handle.result() as Promise<BulkProgress>);
    let finished = false;
    void result.finally(() => (finished = true)).catch(() => undefined);
    const redraw = !json && io.isTty && io.write;
    let last = '';
    while (!finished) {
      await new Promise((r) => setTimeout(r, 500));
      const p = await handle.query(progressQuery).catch(() => undefined);
      if (!p || finished) continue;
      const line = progressBar(p);
      if (line === last) continue;
      last = line;
      if (json) io.out(JSON.stringify({ progress: p }));
      else if (redraw) io.write!(`\r\x1b[2K${line}`);
      else io.out(line);
    }
    const final = await result.catch((err: unknown) => {
      if (redraw) io.write!('\n');
      throw err;
    });
    if (redraw) io.write!(`\r\x1b[2K`);
    print(
      `${progressBar(final)}\n${final.canceled ? 'canceled' : 'done'}: ${id}${final.failed > 0 ? ` (${final.failed} failed; \`status ${id}\` and the Web UI show them)` : ''}`,
      { id, ...final },
    );
    return final.canceled ? EXIT.flowFailed : EXIT.ok;
  },
};

const setup: CliCommand = {
  usage: ['setup                       register the search attributes on TEMPORAL_NAMESPACE (idempotent)'],
  needs: 'setup',
  async run({ client, config, print }) {
    const added = await registerSearchAttributes(client.connection, config.temporal.namespace);
    print(
      added.length > 0
        ? `registered on namespace ${config.temporal.namespace}: ${added.join(', ')}`
        : `namespace ${config.temporal.namespace} already has every search attribute temporal-cascade uses`,
      { namespace: config.temporal.namespace, added },
    );
    return EXIT.ok;
  },
};

const tools: CliCommand = {
  usage: ['tools                       install the pinned Temporal CLI and test server (for tests and the sandbox)'],
  needs: 'none',
  async run({ print }) {
    const { installTemporalBinaries } = await import('../testing/temporal-binaries');
    const { ok, lines } = installTemporalBinaries();
    print(lines.join('\n'), { ok, lines });
    return ok ? EXIT.ok : EXIT.config;
  },
};

const bundle: CliCommand = {
  usage: ['bundle <out.js> [--workflows <your module>]   the workflow bundle for CASCADE_WORKFLOW_BUNDLE'],
  options: { workflows: { type: 'string' } },
  needs: 'none',
  async run({ args, flags, print }) {
    const base = process.env.INIT_CWD ?? process.cwd();
    const file = resolve(base, need(args[0], 'out.js'));
    const { writeFileSync } = await import('node:fs');
    const { bundleCascadeWorkflows } = await import('../worker/bundle');
    const workflows = str(flags.workflows);
    const { code } = await bundleCascadeWorkflows({ workflowsPath: workflows && resolve(base, workflows) });
    writeFileSync(file, code);
    print(`workflow bundle: ${file} (${(code.length / 1024).toFixed(0)} KiB); set CASCADE_WORKFLOW_BUNDLE to it`, {
      file,
      bytes: code.length,
    });
    return EXIT.ok;
  },
};

const provider: CliCommand = {
  usage: [PROVIDER_USAGE],
  // The breakers live in the receipt index's database (CASCADE_RECEIPT_INDEX): no Temporal needed.
  needs: 'none',
  async run({ args, print }) {
    const { env } = withSandboxSettings(process.env);
    const url = env.CASCADE_RECEIPT_INDEX ?? defaultReceiptIndexUrl(env);
    return providerCommand(url, args[0], args[1], print, (m) => new UsageError(m));
  },
};

/** The commands, by their first word. */
export const COMMANDS: Record<string, CliCommand> = {
  send,
  otp,
  cancel,
  status,
  guard,
  provider,
  bulk,
  setup,
  tools,
  bundle,
};

const SHARED_OPTIONS = { json: { type: 'boolean' }, help: { type: 'boolean' } } as const;

export function usageText(only?: string): string {
  const names = only && COMMANDS[only] ? [only] : Object.keys(COMMANDS);
  const lines = names.flatMap((name) => COMMANDS[name].usage.map((u) => `  temporal-cascade ${u}`));
  return [
    'usage:',
    ...lines,
    ...(only && COMMANDS[only]
      ? []
      : [
          'options: --json (one JSON document per line on stdout), --help',
          'exit codes: 0 done, 1 the flow ended otherwise, 2 invalid usage or input, 3 no such flow,',
          '            4 configuration or connection problem, 5 refused for now (retry later)',
          'the long-running processes: temporal-cascade-worker, temporal-cascade-receiver, temporal-cascade-codec-server',
        ]),
  ].join('\n');
}

const defaultIo: CliIo = {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
  isTty: process.stdout.isTTY,
  write: (text) => process.stdout.write(text),
  readLine: readLineFromTerminalOrStdin,
};

export async function run(argv: string[], io: Partial<CliIo> = {}): Promise<number> {
  const cli: CliIo = { ...defaultIo, ...io };
  const json = argv.includes('--json');
  // Before parsing, the first word names the command whose usage a parse error shows.
  let commandName = argv.find((a) => !a.startsWith('-'));
  let command = commandName === undefined ? undefined : COMMANDS[commandName];
  const usageFail = (message: string) => {
    const usage = usageText(command ? commandName : undefined);
    if (json) cli.out(JSON.stringify({ error: message, exitCode: EXIT.usage, usage }));
    else cli.err(`error: ${message}\n${usage}`);
    return EXIT.usage;
  };

  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: { ...SHARED_OPTIONS, ...Object.assign({}, ...Object.values(COMMANDS).map((c) => c.options ?? {})) },
    });
  } catch (err) {
    return usageFail((err as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
  const flags = parsed.values as Flags;
  const positionals = parsed.positionals;
  commandName = positionals[0];
  command = commandName === undefined ? undefined : COMMANDS[commandName];
  if (flags.help) {
    cli.out(usageText(commandName));
    return EXIT.ok;
  }
  if (!commandName) return usageFail('no command given');
  if (!command) return usageFail(`unknown command: ${commandName}`);
  const unknownFlag = Object.keys(flags).find((f) => !(f in SHARED_OPTIONS) && !(f in (command.options ?? {})));
  if (unknownFlag) return usageFail(`${commandName} takes no --${unknownFlag}`);

  const print = (human: string, data: unknown) => cli.out(json ? JSON.stringify(data) : human);
  const fail = (message: string, code: number, extra: Record<string, unknown> = {}) => {
    if (json) cli.out(JSON.stringify({ error: message, exitCode: code, ...extra }));
    else cli.err(`error: ${message}`);
    return code;
  };
  const ctx = { args: positionals.slice(1), flags, json, io: cli, print } as CliContext;
  try {
    command.check?.(ctx.args);
  } catch (err) {
    if (err instanceof UsageError) return usageFail(err.message);
    throw err;
  }

  let connection: Connection | undefined;
  try {
    if (command.needs !== 'none') {
      const { env, file } = withSandboxSettings(process.env);
      const setupOnly = command.needs === 'setup' && !env.CASCADE_ENCRYPTION_KEYS && !env.CASCADE_ENCRYPTION_KEY_FILE;
      // Registering search attributes needs no encryption settings.
      ctx.config = loadClientConfig(setupOnly ? { ...env, CASCADE_ENCRYPTION: 'off' } : env);
      const { temporal } = ctx.config;
      try {
        connection = await Connection.connect({
          address: temporal.address,
          connectTimeout: 5000,
          ...connectionAuth(ctx.config),
        });
      } catch (err) {
        throw new ConnectError(
          `cannot reach Temporal at ${temporal.address} (${(err as Error).message})` +
            (file ? ` — is \`npm run dev\` running? (settings from ${file})` : ''),
        );
      }
      ctx.dataConverter = dataConverterFor(ctx.config);
      ctx.client = new Client({ connection, namespace: temporal.namespace, dataConverter: ctx.dataConverter });
      if (command.needs !== 'setup') await checkCodec(ctx.client, ctx.dataConverter, temporal.taskQueue);
      // Without the OTP secret the CLI checks no limits itself; the workers' flows still do.
      ctx.cascade = new CascadeClient({
        client: ctx.client,
        taskQueue: temporal.taskQueue,
        otpSecret: ctx.config.otpSecret,
        ...(ctx.config.otpSecret ? {} : { limits: false as const }),
      });
    }
    return await command.run(ctx);
  } catch (err) {
    if (err instanceof UsageError) return usageFail(err.message);
    if (err instanceof CascadeValidationError) return fail(err.issues.map(inUserTerms).join('; '), EXIT.usage);
    if (err instanceof CascadeFlowNotFoundError) return fail(err.message, EXIT.notFound);
    if (err instanceof FlowFailedError) return fail(err.message, EXIT.flowFailed, { id: err.id, reason: err.reason });
    if (err instanceof CascadeResendRefusedError) {
      const wait = /cooldown: wait (\d+) s/.exec(err.message);
      if (!wait) return fail(`resend refused: ${err.message}`, EXIT.flowFailed);
      const at = new Date(Date.now() + Number(wait[1]) * 1000).toISOString();
      return fail(`resend refused: ${err.message} (from ${at})`, EXIT.later, { retryAt: at });
    }
    if (err instanceof CascadeLimitError) {
      if (err.retryAfterMs === undefined && err.reason !== 'guard_unavailable')
        return fail(err.message, EXIT.flowFailed);
      const at = err.retryAfterMs === undefined ? undefined : new Date(Date.now() + err.retryAfterMs).toISOString();
      return fail(`${err.message}${at ? `; retry after ${at}` : ''}`, EXIT.later, at ? { retryAt: at } : {});
    }
    if (err instanceof ConfigError) {
      const hint = /CASCADE_ENCRYPTION/.test(err.message)
        ? ' (against the sandbox: run the CLI in the checkout where `npm run dev` runs; it reads .data/sandbox.env)'
        : '';
      return fail(`${err.message}${hint}`, EXIT.config);
    }
    if (err instanceof CascadeSetupError || err instanceof CodecMismatchError || err instanceof ConnectError)
      return fail(err.message, EXIT.config);
    return fail((err as Error).message, EXIT.config);
  } finally {
    await connection?.close();
  }
}

class ConnectError extends Error {}

/** A flow's result, or FlowFailedError naming the flow and the innermost reason. */
async function outcome<T>(id: string, result: Promise<T>): Promise<T> {
  try {
    return await result;
  } catch (err) {
    if (err instanceof WorkflowFailedError) throw new FlowFailedError(id, failureMessage(err));
    throw err;
  }
}

function steps(flags: Flags) {
  const via = str(flags.via);
  const unknown = via
    ?.split(',')
    .map((s) => s.trim())
    .find((c) => c && !['smsbat', 'reach', 'email'].includes(c));
  if (unknown)
    throw new UsageError(`--via: unknown channel "${unknown}" (use smsbat, reach or email, comma-separated)`);
  return stepsFromFlags(flags as Record<string, string>);
}

async function readCode(io: CliIo): Promise<string> {
  if (!io.readLine) throw new UsageError('missing <code>');
  const code = (await io.readLine('code: ')).trim();
  if (!code) throw new UsageError('missing <code> (give it as an argument, at the prompt or on stdin)');
  return code;
}

/** A line typed at a prompt (on stderr) on a terminal; otherwise the first line of stdin. */
async function readLineFromTerminalOrStdin(prompt: string): Promise<string> {
  const { createInterface } = await import('node:readline');
  const rl = createInterface({ input: process.stdin, output: process.stdin.isTTY ? process.stderr : undefined });
  try {
    if (process.stdin.isTTY) return await new Promise<string>((done) => rl.question(prompt, done));
    for await (const line of rl) return line;
    return '';
  } finally {
    rl.close();
  }
}

function need(value: string | undefined, name: string): string {
  if (!value) throw new UsageError(`missing <${name}>`);
  return value;
}

function str(value: string | boolean | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
