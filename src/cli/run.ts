/**
 * `temporal-cascade`: send messages, run OTP flows and campaigns from a shell.
 * Exit codes: 0 done (delivered / approved / accepted), 1 the flow ended otherwise,
 * 2 invalid usage or input, 3 no such flow, 4 configuration or connection problem.
 */
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import {
  CascadeClient,
  CascadeFlowNotFoundError,
  CascadeLimitError,
  CascadeResendRefusedError,
  CascadeValidationError,
} from '../client';
import { dataConverterFor } from '../codec/data-converter';
import { ConfigError, loadConfig } from '../config';
import { progressQuery } from '../shared/messages';
import { type BulkSendInput } from '../shared/schemas';
import { type BulkProgress, type DeliveryResult, type OtpResult } from '../shared/types';
import { CascadeSetupError, registerSearchAttributes } from '../setup/search-attributes';
import { connectionAuth } from '../temporal-connection';
import { stepsFromFlags } from './steps';
import { bulkResumeCommand } from './bulk-resume';

export const EXIT = { ok: 0, flowFailed: 1, usage: 2, notFound: 3, config: 4 } as const;

const USAGE = `usage:
  temporal-cascade send --to <+E164> [--email <addr>] --text <text> [--via smsbat,reach,email] [--from-name N] [--src S] [--subject S] [--timeout 2m] [--ttl 10m] [--tracking-id ID] [--wait]
  temporal-cascade otp start --to <+E164> [--email <addr>] --template "Code: {code}" [--via …] [--tracking-id ID]
  temporal-cascade otp verify <id> <code>
  temporal-cascade otp resend <id> [--next-step]
  temporal-cascade otp cancel <id>
  temporal-cascade status <id>
  temporal-cascade guard status|unblock|block <prefix> [--reason R]   (abuse guard of a phone prefix, e.g. +38050)
  temporal-cascade bulk <file.csv|file.jsonl> [--via smsbat|reach] [--from-name N] [--src S] [--rate 200] [--bulk-id ID]
  temporal-cascade bulk resume <bulk-id>   (resume a paused campaign; restart an ended one from its progress)
  temporal-cascade setup                 register the search attributes on TEMPORAL_NAMESPACE (idempotent)
  temporal-cascade tools                 install the pinned Temporal CLI and test server (for tests and the sandbox)
  temporal-cascade bundle <out.js> [--workflows <your module>]   the workflow bundle for CASCADE_WORKFLOW_BUNDLE
options: --json (machine-readable output)
the long-running processes: temporal-cascade-worker, temporal-cascade-receiver, temporal-cascade-codec-server`;

class UsageError extends Error {}

export async function run(argv: string[], out: (line: string) => void = console.log): Promise<number> {
  const { values: flags, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      to: { type: 'string' },
      email: { type: 'string' },
      text: { type: 'string' },
      template: { type: 'string' },
      via: { type: 'string' },
      'from-name': { type: 'string' },
      route: { type: 'string' },
      src: { type: 'string' },
      subject: { type: 'string' },
      timeout: { type: 'string' },
      ttl: { type: 'string' },
      'tracking-id': { type: 'string' },
      'bulk-id': { type: 'string' },
      rate: { type: 'string' },
      reason: { type: 'string' },
      'next-step': { type: 'boolean' },
      workflows: { type: 'string' },
      wait: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  const json = Boolean(flags.json);
  const print = (human: string, data: unknown) => out(json ? JSON.stringify(data) : human);
  if (flags.help || positionals.length === 0) {
    out(USAGE);
    return flags.help ? EXIT.ok : EXIT.usage;
  }

  let connection: Connection | undefined;
  try {
    const [command, sub, ...rest] = positionals;
    // Commands that need no Temporal connection (and load nothing of the worker unless asked).
    if (command === 'tools') return await installTools(out);
    if (command === 'bundle') return await writeBundle(need(sub, 'out.js'), flags.workflows, out);
    const config = loadConfig();
    connection = await Connection.connect({ address: config.temporal.address, ...connectionAuth(config) });
    const client = new Client({
      connection,
      namespace: config.temporal.namespace,
      dataConverter: dataConverterFor(config),
    });
    // Without the OTP secret the CLI checks no limits itself; the workers' flows still do.
    const cascade = new CascadeClient({
      client,
      taskQueue: config.temporal.taskQueue,
      otpSecret: config.otpSecret,
      ...(config.otpSecret ? {} : { limits: false as const }),
    });
    const recipient = { phone: flags.to, email: flags.email };

    switch (command) {
      case 'send': {
        const { id, started } = await cascade.sendMessage({
          trackingId: flags['tracking-id'] ?? `cli-${randomUUID()}`,
          recipient,
          text: flags.text ?? '',
          steps: stepsFromFlags(flags),
          ttl: flags.ttl,
        });
        if (!flags.wait) {
          print(`${started ? 'started' : 'already exists'}: ${id}`, { id, started });
          return EXIT.ok;
        }
        const result = (await cascade.result(id)) as DeliveryResult;
        print(`${id}: ${result.status}${result.deliveredBy ? ` via ${result.deliveredBy.channel}` : ''}`, {
          id,
          ...result,
        });
        return result.status === 'delivered' ? EXIT.ok : EXIT.flowFailed;
      }
      case 'otp':
        return await otp(cascade, sub, rest, flags, print);
      case 'cancel':
        await cascade.cancel(need(sub, 'id'));
        print(`cancel sent to ${sub}`, { id: sub, canceled: true });
        return EXIT.ok;
      case 'status': {
        const status = await cascade.getStatus(need(sub, 'id'));
        print(
          `${status.id} (${status.kind}): ${status.execution}\n${JSON.stringify(status.progress, null, 2)}`,
          status,
        );
        return EXIT.ok;
      }
      case 'guard':
        return await guard(cascade, sub, rest, flags, print);
      case 'bulk':
        if (sub === 'resume')
          return (await bulkResumeCommand(cascade, need(rest[0], 'bulk-id'), print)) ? EXIT.ok : EXIT.flowFailed;
        return await bulk(client, cascade, need(sub, 'file'), flags, json, out);
      case 'setup': {
        const added = await registerSearchAttributes(connection, config.temporal.namespace);
        print(
          added.length > 0
            ? `registered on namespace ${config.temporal.namespace}: ${added.join(', ')}`
            : `namespace ${config.temporal.namespace} already has every search attribute temporal-cascade uses`,
          { namespace: config.temporal.namespace, added },
        );
        return EXIT.ok;
      }
      default:
        throw new UsageError(`unknown command ${command}`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      out(`${err.message}\n${USAGE}`);
      return EXIT.usage;
    }
    if (err instanceof CascadeValidationError) return fail(out, json, err.message, EXIT.usage);
    if (err instanceof CascadeFlowNotFoundError) return fail(out, json, err.message, EXIT.notFound);
    if (err instanceof CascadeResendRefusedError) return fail(out, json, err.message, EXIT.flowFailed);
    if (err instanceof CascadeLimitError) return fail(out, json, err.message, EXIT.flowFailed);
    if (err instanceof ConfigError || err instanceof CascadeSetupError)
      return fail(out, json, err.message, EXIT.config);
    return fail(out, json, (err as Error).message, EXIT.config);
  } finally {
    await connection?.close();
  }
}

async function otp(
  cascade: CascadeClient,
  sub: string | undefined,
  rest: string[],
  flags: Record<string, string | boolean | undefined>,
  print: (human: string, data: unknown) => void,
): Promise<number> {
  switch (sub) {
    case 'start': {
      const { id, started } = await cascade.startOtp({
        trackingId: (flags['tracking-id'] as string | undefined) ?? `cli-${randomUUID()}`,
        recipient: { phone: flags.to as string | undefined, email: flags.email as string | undefined },
        steps: stepsFromFlags(flags as Record<string, string>),
        template: (flags.template as string | undefined) ?? 'Your code is {code}',
      });
      print(`${started ? 'started' : 'already exists'}: ${id}`, { id, started });
      return EXIT.ok;
    }
    case 'verify': {
      const [id, code] = rest;
      const result = await cascade.verifyOtp(need(id, 'id'), need(code, 'code'));
      print(`${result.status} (${result.attemptsLeft} attempts left)`, result);
      return result.status === 'approved' ? EXIT.ok : EXIT.flowFailed;
    }
    case 'resend': {
      const result = await cascade.resendOtp(need(rest[0], 'id'), { nextStep: Boolean(flags['next-step']) });
      print(`resent (send ${result.sends}, ${result.sendsLeft} left)`, result);
      return EXIT.ok;
    }
    case 'cancel':
      await cascade.cancel(need(rest[0], 'id'));
      print('cancel sent', { id: rest[0], canceled: true });
      return EXIT.ok;
    case 'result': {
      const result = (await cascade.result(need(rest[0], 'id'))) as OtpResult;
      print(result.status, result);
      return result.status === 'approved' ? EXIT.ok : EXIT.flowFailed;
    }
    default:
      throw new UsageError(`unknown otp command ${sub ?? ''}`);
  }
}

async function guard(
  cascade: CascadeClient,
  sub: string | undefined,
  rest: string[],
  flags: Record<string, string | boolean | undefined>,
  print: (human: string, data: unknown) => void,
): Promise<number> {
  if (!cascade.guard) throw new UsageError('abuse limits need CASCADE_OTP_SECRET');
  const prefix = need(rest[0], 'prefix');
  const by = `cli:${process.env.USER ?? 'operator'}`;
  if (sub === 'unblock') await cascade.guard.unblockPrefix(prefix, by, flags.reason as string | undefined);
  else if (sub === 'block')
    await cascade.guard.blockPrefix(prefix, by, (flags.reason as string | undefined) ?? 'blocked by an operator');
  else if (sub !== 'status') throw new UsageError(`unknown guard command ${sub ?? ''}`);
  const state = await cascade.guard.state(prefix);
  print(
    `${prefix}: ${state.blocked ? 'BLOCKED' : 'open'}${state.reason ? ` (${state.reason})` : ''}, ${state.recentVerified}/${state.recentFlows} verified`,
    state,
  );
  return EXIT.ok;
}

async function bulk(
  client: Client,
  cascade: CascadeClient,
  file: string,
  flags: Record<string, string | boolean | undefined>,
  json: boolean,
  out: (line: string) => void,
): Promise<number> {
  const steps = stepsFromFlags({
    ...(flags as Record<string, string>),
    via: (flags.via as string | undefined) ?? 'smsbat',
  });
  const bulkId = (flags['bulk-id'] as string | undefined) ?? `bulk-${Date.now()}`;
  const { id } = await cascade.startBulk({
    bulkId,
    step: steps[0] as BulkSendInput['step'],
    file: { path: resolve(file) },
    ratePerSecond: flags.rate ? Number(flags.rate) : undefined,
  });
  const handle = client.workflow.getHandle(id);
  const result = handle.result() as Promise<BulkProgress>;
  let finished = false;
  void result.finally(() => (finished = true)).catch(() => undefined);
  while (!finished) {
    await new Promise((r) => setTimeout(r, 500));
    const p = await handle.query(progressQuery).catch(() => undefined);
    if (p && !finished) out(json ? JSON.stringify({ progress: p }) : progressBar(p));
  }
  const final = await result;
  out(json ? JSON.stringify({ id: handle.workflowId, ...final }) : `${progressBar(final)}\ndone: ${handle.workflowId}`);
  return final.failed === 0 ? EXIT.ok : EXIT.flowFailed;
}

async function installTools(out: (line: string) => void): Promise<number> {
  const { installTemporalBinaries } = await import('../testing/temporal-binaries');
  const { ok, lines } = installTemporalBinaries();
  lines.forEach((line) => out(line));
  return ok ? EXIT.ok : EXIT.config;
}

async function writeBundle(file: string, workflowsPath: string | undefined, out: (line: string) => void) {
  const { writeFileSync } = await import('node:fs');
  const { bundleCascadeWorkflows } = await import('../worker/bundle');
  const { code } = await bundleCascadeWorkflows({ workflowsPath: workflowsPath && resolve(workflowsPath) });
  writeFileSync(resolve(file), code);
  out(`workflow bundle: ${resolve(file)} (${(code.length / 1024).toFixed(0)} KiB); set CASCADE_WORKFLOW_BUNDLE to it`);
  return EXIT.ok;
}

export function progressBar(p: BulkProgress, width = 30): string {
  const doneShare = p.total === 0 ? 1 : (p.delivered + p.failed) / p.total;
  const sentShare = p.total === 0 ? 1 : (p.sent + p.failed) / p.total;
  const full = Math.round(doneShare * width);
  const sent = Math.max(0, Math.round(sentShare * width) - full);
  const bar = '█'.repeat(full) + '▒'.repeat(sent) + '·'.repeat(Math.max(0, width - full - sent));
  return `[${bar}] ${p.sent}/${p.total} sent, ${p.delivered} delivered, ${p.failed} failed, ${p.pending} pending${p.paused ? ' (paused)' : ''}`;
}

function need(value: string | undefined, name: string): string {
  if (!value) throw new UsageError(`missing <${name}>`);
  return value;
}

function fail(out: (line: string) => void, json: boolean, message: string, code: number): number {
  out(json ? JSON.stringify({ error: message, exitCode: code }) : `error: ${message}`);
  return code;
}
