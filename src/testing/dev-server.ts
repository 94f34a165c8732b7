import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from '../shared/search-attributes';
import { requireTemporalBinary } from './temporal-binaries';

export interface DevServerOptions {
  ip?: string;
  /** gRPC port; a free one when omitted. */
  port?: number;
  /** Web UI port; headless when omitted. */
  uiPort?: number;
  namespace?: string;
  /** SQLite file; in memory when omitted. */
  dbFilename?: string;
  /** Registers temporal-cascade's search attributes at start (default); false gives a bare server. */
  searchAttributes?: boolean;
  /** Passed as --ui-codec-endpoint so the Web UI decodes payloads through a codec server. */
  codecEndpoint?: string;
  extraArgs?: string[];
  /** How long to wait for the server to answer, ms. Default 60 s (a loaded 2-core box is slow). */
  startTimeoutMs?: number;
  /** Where the server's own output goes. Default: ignored. */
  stdio?: 'inherit' | 'ignore';
}

export interface RunningDevServer {
  address: string;
  namespace: string;
  uiUrl?: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts `temporal server start-dev` ourselves rather than through the SDK, whose fixed 5 s start
 * wait is too short on a loaded 2-core machine, and waits until its frontend answers.
 */
export async function startDevServer(options: DevServerOptions = {}): Promise<RunningDevServer> {
  const ip = options.ip ?? '127.0.0.1';
  const port = options.port ?? (await freePort(ip));
  const namespace = options.namespace ?? 'default';
  const args = ['server', 'start-dev', '--ip', ip, '--port', String(port), '--namespace', namespace];
  args.push('--log-format', 'pretty', '--log-level', 'warn');
  if (options.uiPort) args.push('--ui-port', String(options.uiPort), '--ui-disable-news-fetch');
  else args.push('--headless');
  if (options.dbFilename) {
    mkdirSync(dirname(options.dbFilename), { recursive: true });
    args.push('--db-filename', options.dbFilename);
  }
  if (options.codecEndpoint) args.push('--ui-codec-endpoint', options.codecEndpoint);
  if (options.searchAttributes !== false)
    for (const key of SEARCH_ATTRIBUTES) args.push('--search-attribute', `${key.name}=${CLI_TYPE[key.type]}`);
  // Update-with-start (idempotent OTP starts) needs multi-operations on the frontend.
  args.push('--dynamic-config-value', 'frontend.enableExecuteMultiOperation=true');
  args.push(...(options.extraArgs ?? []));

  const child = spawn(requireTemporalBinary('cli'), args, {
    stdio: ['ignore', options.stdio ?? 'ignore', options.stdio ?? 'ignore'],
    detached: false,
  });
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));

  const address = `${ip}:${port}`;
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  for (;;) {
    if (exited !== undefined) throw new Error(`temporal dev server exited with code ${exited} during start`);
    try {
      const conn = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await conn.workflowService.describeNamespace({ namespace });
        break;
      } finally {
        await conn.close();
      }
    } catch (err) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`temporal dev server did not answer on ${address}: ${(err as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  return {
    address,
    namespace,
    uiUrl: options.uiPort ? `http://${ip}:${options.uiPort}` : undefined,
    process: child,
    stop: () => stopProcess(child),
  };
}

export function stopProcess(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * A port nothing listens on, for a server started later. Chosen below the kernel's ephemeral range:
 * a port the kernel hands out there (to the Temporal dev server's own services, which bind port 0,
 * or as the local end of any outgoing connection) can be taken between this check and the listen —
 * a CI run lost its sandbox that way.
 */
export async function freePort(ip = '127.0.0.1'): Promise<number> {
  const top = Math.min(EPHEMERAL_LOW, 32_768);
  for (let i = 0; top > 12_000 && i < 50; i++) {
    const port = 10_000 + Math.floor(Math.random() * (top - 10_000));
    if (await canListen(port, ip)) return port;
  }
  return listenOn(0, ip);
}

/** Linux's /proc/sys/net/ipv4/ip_local_port_range (its first number); 32768 elsewhere. */
const EPHEMERAL_LOW = (() => {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32_768;
  } catch {
    return 32_768;
  }
})();

function canListen(port: number, ip: string): Promise<boolean> {
  return listenOn(port, ip).then(
    () => true,
    () => false,
  );
}

function listenOn(port: number, ip: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(port, ip, () => {
      const { port: bound } = srv.address() as { port: number };
      srv.close(() => resolve(bound));
    });
  });
}

// SearchAttributeType values are upper-case ("KEYWORD"); the CLI wants "Keyword".
const CLI_TYPE: Record<string, string> = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};
