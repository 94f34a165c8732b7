import { createHash } from 'node:crypto';
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import { type z } from 'zod';
import { BulkMessageSchema, type BulkMessage } from '../shared/schemas';
import { type BulkSource } from './types';

/**
 * Reads bulk messages from a file the workers can see (CSV with header `id,phone,text`, or JSON
 * lines), only inside the directories the worker allows (CASCADE_BULK_DIRS): a campaign input is
 * not a way to read the worker's files. Errors name the row, line and column, never the content
 * (a file of phone numbers is personal data), and a missing file reads like a forbidden one (no
 * probing for what exists). Invalid rows fail the campaign before anything is sent.
 *
 * A campaign pins its file by content (SHA-256) when it starts; each read checks it, so a file
 * changed under a running campaign stops it instead of shifting its rows. Parsed files are cached
 * per worker by content (a few at a time, so campaigns running together do not evict each other):
 * a file is parsed once, and later reads cost a `stat` unless the file changed on disk.
 */
interface Parsed {
  stamp: string;
  sha256: string;
  messages: BulkMessage[];
}
const cache = new Map<string, Parsed>();
const CACHED_FILES = 4;

export function readBulkSource(source: BulkSource, allowedDirs: string[]): BulkMessage[] {
  if (source.kind === 'inline') return source.messages;
  const parsed = parseFile(source, allowedDirs);
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
export function pinBulkSource(source: BulkSource, allowedDirs: string[]): { total: number; sha256?: string } {
  if (source.kind === 'inline') return { total: source.messages.length };
  const { sha256, messages } = parseFile(source, allowedDirs);
  return { total: messages.length, sha256 };
}

function parseFile(source: Extract<BulkSource, { kind: 'file' }>, allowedDirs: string[]): Parsed {
  const path = allowedPath(source.path, allowedDirs);
  let stamp: string;
  try {
    const st = statSync(path, { bigint: true });
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
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch {
    throw unreadable(source.path);
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const same = [...cache.values()].find((p) => p.sha256 === sha256);
  const messages = same?.messages ?? parseMessages(source, path, bytes.toString('utf8'));
  const parsed = { stamp, sha256, messages };
  cache.delete(key);
  cache.set(key, parsed);
  while (cache.size > CACHED_FILES) cache.delete(cache.keys().next().value!);
  return parsed;
}

function parseMessages(source: Extract<BulkSource, { kind: 'file' }>, path: string, text: string): BulkMessage[] {
  const format = source.format ?? (path.endsWith('.csv') ? 'csv' : 'jsonl');
  const rows = format === 'csv' ? parseCsvRows(text) : parseJsonLines(text);
  return rows.map(({ value, line }, i) => {
    const parsed = BulkMessageSchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw fileError(`${source.path} row ${i + 1} (line ${line}): ${describe(issue)}`);
    }
    return parsed.data;
  });
}

/** A row's problem in our words where zod's would quote the file (an unexpected key's name). */
function describe(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `${issue.keys.length} unexpected field(s): only id, phone and text`;
  return `${issue.path.join('.') || '(row)'}: ${issue.message}`;
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

function parseJsonLines(text: string): { value: unknown; line: number }[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    try {
      return (JSON.parse(trimmed) as unknown[]).map((value) => ({ value, line: 1 }));
    } catch (err) {
      throw fileError(`the JSON array is not valid JSON (${position(err, text)})`);
    }
  }
  const rows: { value: unknown; line: number }[] = [];
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    try {
      rows.push({ value: JSON.parse(raw) as unknown, line: i + 1 });
    } catch (err) {
      throw fileError(`line ${i + 1} is not valid JSON (${position(err, raw)})`);
    }
  });
  return rows;
}

/** "column N" from a JSON.parse error, without repeating the text the error quotes. */
function position(err: unknown, text: string): string {
  const at = /position (\d+)/.exec(String((err as Error).message))?.[1];
  if (at === undefined) return 'unexpected end';
  const offset = Number(at);
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return `line ${line}, column ${offset - before.lastIndexOf('\n')}`;
}

function parseCsvRows(text: string): { value: unknown; line: number }[] {
  return parseCsv(text).map((value, i) => ({ value, line: value.__line ? Number(value.__line) : i + 2 }));
}

/** CSV per RFC 4180: quoted fields may hold commas, quotes ("") and newlines. */
export function parseCsv(text: string): Record<string, string>[] {
  const records: string[][] = [];
  const lines: number[] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') line++;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') {
        i++;
        line++;
      } else if (c === '\r') line++;
      record.push(field);
      records.push(record);
      lines.push(recordLine);
      recordLine = line;
      record = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || record.length > 0) {
    record.push(field);
    records.push(record);
    lines.push(recordLine);
  }
  const kept = records.map((r, i) => ({ r, line: lines[i] })).filter(({ r }) => r.some((f) => f.trim() !== ''));
  const [header, ...rows] = kept;
  if (!header) return [];
  return rows.map(({ r, line: at }) =>
    Object.defineProperty(Object.fromEntries(header.r.map((h, i) => [h.trim(), r[i] ?? ''])), '__line', {
      value: String(at),
      enumerable: false,
    }),
  );
}
