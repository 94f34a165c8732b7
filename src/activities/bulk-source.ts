import { readFileSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import { BulkMessageSchema, type BulkMessage } from '../shared/schemas';
import { type BulkSource } from './types';

/**
 * Reads bulk messages from a file the workers can see (CSV with header `id,phone,text`, or JSON
 * lines), only inside the directories the worker allows (CASCADE_BULK_DIRS): a campaign input is
 * not a way to read the worker's files. Errors name the row, line and column, never the content
 * (a file of phone numbers is personal data). Parsed files are cached per path and modification
 * time, so the batches of a large campaign do not parse it again each time. Invalid rows fail the
 * campaign before anything is sent.
 */
const cache = new Map<string, { mtimeMs: number; messages: BulkMessage[] }>();

export function readBulkSource(source: BulkSource, allowedDirs: string[]): BulkMessage[] {
  if (source.kind === 'inline') return source.messages;
  const path = allowedPath(source.path, allowedDirs);
  let mtimeMs: number;
  try {
    mtimeMs = statSync(path).mtimeMs;
  } catch {
    throw fileError(`cannot read ${source.path}`);
  }
  const hit = cache.get(path);
  if (hit && hit.mtimeMs === mtimeMs) return hit.messages;
  const text = readFileSync(path, 'utf8');
  const format = source.format ?? (path.endsWith('.csv') ? 'csv' : 'jsonl');
  const rows = format === 'csv' ? parseCsvRows(text) : parseJsonLines(text);
  const messages = rows.map(({ value, line }, i) => {
    const parsed = BulkMessageSchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw fileError(`${source.path} row ${i + 1} (line ${line}): ${issue.path.join('.')}: ${issue.message}`);
    }
    return parsed.data;
  });
  cache.clear(); // one campaign file at a time is plenty per worker
  cache.set(path, { mtimeMs, messages });
  return messages;
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
    throw fileError(`cannot read ${path}`);
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
  if (!inside) throw fileError(`${path} is outside the directories bulk files may be read from (CASCADE_BULK_DIRS)`);
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
