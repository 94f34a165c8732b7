import { existsSync, realpathSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, isAbsolute, join, relative, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { ApplicationFailure } from '@temporalio/activity';
import { answerParse, PackedMessages, type MessageList, type ParseReply, type ParseRequest } from './bulk-file';
import { type BulkSource } from './types';

/**
 * Reads bulk messages from a file the workers can see (CSV with header `id,phone,text`, or JSON
 * lines), only inside the directories the worker allows (CASCADE_BULK_DIRS): a campaign input is
 * not a way to read the worker's files. Errors name the row, line and column, never the content,
 * and a missing file reads like a forbidden one (no probing for what exists). Invalid rows fail the
 * campaign before anything is sent.
 *
 * A campaign pins its file by content (SHA-256) when it starts; each read checks it, so a file
 * changed under a running campaign stops it instead of shifting its rows. A file is read, hashed
 * and parsed in a thread of its own (a 100 000-row file takes a second of CPU that would otherwise
 * hold up every activity and heartbeat of the worker), once per worker: parsed files are cached (a
 * few at a time, so campaigns running together do not evict each other), later reads cost a `stat`
 * unless the file changed on disk, and readers that arrive during a parse wait for that parse.
 */
interface Parsed {
  stamp: string;
  sha256: string;
  messages: PackedMessages;
}
const cache = new Map<string, Parsed>();
/** Parses under way, by file and stamp. */
const parsing = new Map<string, Promise<Parsed>>();
const CACHED_FILES = 4;
/** Which thread parsed a file's messages (for tests: never the worker's main thread). */
const parsedIn = new WeakMap<MessageList, number>();

export async function readBulkSource(source: BulkSource, allowedDirs: string[]): Promise<MessageList> {
  if (source.kind === 'inline') return source.messages;
  const parsed = await parseFile(source, allowedDirs);
  if (source.sha256 !== undefined && parsed.sha256 !== source.sha256) {
    throw ApplicationFailure.create({
      type: 'CascadeBulkFileChanged',
      message: `${source.path} changed since the campaign started (its content no longer matches): the campaign stops rather than send shifted rows; start a new campaign with the new file`,
      nonRetryable: true,
    });
  }
  return parsed.messages;
}

/** The number of messages in a campaign file and the SHA-256 of its content (inline: the count alone). */
export async function pinBulkSource(
  source: BulkSource,
  allowedDirs: string[],
): Promise<{ total: number; sha256?: string }> {
  if (source.kind === 'inline') return { total: source.messages.length };
  const { sha256, messages } = await parseFile(source, allowedDirs);
  return { total: messages.length, sha256 };
}

/** The id of the thread that parsed these messages (`undefined`: not read from a file). */
export function parsedBy(messages: MessageList): number | undefined {
  return parsedIn.get(messages);
}

async function parseFile(source: Extract<BulkSource, { kind: 'file' }>, allowedDirs: string[]): Promise<Parsed> {
  const path = allowedPath(source.path, allowedDirs);
  let stamp: string;
  try {
    const st = await stat(path, { bigint: true });
    stamp = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
  } catch {
    throw unreadable(source.path);
  }
  const key = `${path}\0${source.format ?? ''}`;
  const hit = cache.get(key);
  if (hit && hit.stamp === stamp) {
    cache.delete(key); // most recently used last
    cache.set(key, hit);
    return hit;
  }
  const flight = `${key}\0${stamp}`;
  let pending = parsing.get(flight);
  if (!pending) {
    pending = parseInThread(source, path, key, stamp).finally(() => parsing.delete(flight));
    parsing.set(flight, pending);
  }
  return pending;
}

async function parseInThread(
  source: Extract<BulkSource, { kind: 'file' }>,
  path: string,
  key: string,
  stamp: string,
): Promise<Parsed> {
  const known = new Map([...cache.values()].map((p) => [p.sha256, p.messages]));
  const reply = await inThread({ path, shown: source.path, format: source.format, known: [...known.keys()] });
  if ('unreadable' in reply) throw unreadable(source.path);
  if ('error' in reply) throw fileError(reply.error);
  const messages = reply.packed ? new PackedMessages(reply.packed.text, reply.packed.ends) : known.get(reply.sha256)!;
  if (reply.threadId !== undefined) parsedIn.set(messages, reply.threadId);
  const parsed = { stamp, sha256: reply.sha256, messages };
  cache.delete(key);
  cache.set(key, parsed);
  while (cache.size > CACHED_FILES) cache.delete(cache.keys().next().value!);
  return parsed;
}

/**
 * The parse thread's entry, beside this file: compiled JavaScript in dist/; from the TypeScript
 * sources (tsx, ts-jest) a thread inherits no test runner's transform, so it loads them through tsx.
 */
const THREAD_ENTRY = join(__dirname, `bulk-file-thread${extname(__filename)}`);

function inThread(request: ParseRequest): Promise<ParseReply> {
  // A host that bundles its worker into one file leaves the thread's entry behind: parse here.
  if (!existsSync(THREAD_ENTRY)) return Promise.resolve(answerParse(request));
  return new Promise((resolve, reject) => {
    const thread =
      extname(THREAD_ENTRY) === '.ts'
        ? new Worker(
            `require(${JSON.stringify(require.resolve('tsx/cjs'))});require(${JSON.stringify(THREAD_ENTRY)});`,
            {
              eval: true,
              execArgv: [],
              workerData: request,
            },
          )
        : new Worker(THREAD_ENTRY, { workerData: request });
    let answered = false;
    thread.once('message', (reply: ParseReply) => {
      answered = true;
      resolve(reply);
    });
    thread.once('error', reject);
    thread.once('exit', (code) => {
      if (!answered)
        reject(new Error(`the campaign file's parse thread stopped without an answer (exit code ${code})`));
    });
  });
}

/** One answer for a file that does not exist, cannot be read or lies outside the allowed directories. */
function unreadable(path: string): ApplicationFailure {
  return fileError(
    `cannot read ${path}: it does not exist, is not readable, or lies outside the directories bulk files may be read from (CASCADE_BULK_DIRS)`,
  );
}

/** The file's real path, when it lies inside one of the allowed directories (links resolved). */
function allowedPath(path: string, allowedDirs: string[]): string {
  if (allowedDirs.length === 0) {
    throw fileError(
      'bulk files are off on this worker: set CASCADE_BULK_DIRS to the directories campaigns may be read from',
    );
  }
  let real: string;
  try {
    real = realpathSync(resolve(path));
  } catch {
    throw unreadable(path);
  }
  const inside = allowedDirs.some((dir) => {
    let root: string;
    try {
      root = realpathSync(resolve(dir));
    } catch {
      return false;
    }
    const rel = relative(root, real);
    return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
  });
  if (!inside) throw unreadable(path);
  return real;
}

function fileError(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: 'CascadeBulkFile', message, nonRetryable: true });
}
