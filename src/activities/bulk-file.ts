import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type z } from 'zod';
import { BulkMessageSchema, type BulkMessage } from '../shared/schemas';

/**
 * A campaign file's content: its SHA-256 and its messages (CSV with header `id,phone,text`, or
 * JSON lines). Plain code with no Temporal import, so it runs in the parse thread as well. Errors
 * name the row, line and column, never the content (a file of phone numbers is personal data).
 */
export class BulkFileError extends Error {
  override readonly name = 'BulkFileError';
}

/** What a campaign read gives: its messages by position (an array, or a file's packed messages). */
export interface MessageList {
  readonly length: number;
  slice(start?: number, end?: number): BulkMessage[];
}

/**
 * A file's messages packed into one string and the offsets where each field ends (id, phone, text
 * per message), as the parse thread hands them over: one string and one transferred buffer cost
 * the worker's event loop a copy, where 100 000 objects would cost it 100 ms or more to receive
 * and hold. Messages are made only for the batch that reads them.
 */
export class PackedMessages implements MessageList {
  constructor(
    readonly text: string,
    readonly ends: Uint32Array,
  ) {}

  static pack(messages: BulkMessage[]): PackedMessages {
    const ends = new Uint32Array(messages.length * 3);
    const parts: string[] = [];
    let at = 0;
    messages.forEach((m, i) => {
      for (const [k, field] of [m.id, m.phone, m.text].entries()) {
        parts.push(field);
        at += field.length;
        ends[i * 3 + k] = at;
      }
    });
    return new PackedMessages(parts.join(''), ends);
  }

  get length(): number {
    return this.ends.length / 3;
  }

  slice(start = 0, end = this.length): BulkMessage[] {
    const from = Math.max(0, Math.min(start, this.length));
    const to = Math.max(from, Math.min(end, this.length));
    const field = (k: number) => this.text.slice(k === 0 ? 0 : this.ends[k - 1], this.ends[k]);
    return Array.from({ length: to - from }, (_, i) => {
      const k = (from + i) * 3;
      return { id: field(k), phone: field(k + 1), text: field(k + 2) };
    });
  }
}

/** What the parse thread is asked (its workerData) and answers (one message). */
export interface ParseRequest {
  /** The real path, checked against the allowed directories. */
  path: string;
  /** The path as the campaign named it, for errors. */
  shown: string;
  format?: 'csv' | 'jsonl';
  /** Hashes of files already parsed: a file with one of them is not parsed again. */
  known: string[];
}
export type ParseReply =
  | { sha256: string; packed?: { text: string; ends: Uint32Array }; threadId?: number }
  | { unreadable: true }
  | { error: string };

export function sha256Of(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** `shown` is the path as the campaign named it (for errors); `path` the real one (for the format). */
export function parseBulkFile(text: string, path: string, shown: string, format?: 'csv' | 'jsonl'): BulkMessage[] {
  const rows =
    (format ?? (path.endsWith('.csv') ? 'csv' : 'jsonl')) === 'csv' ? parseCsvRows(text) : parseJsonLines(text);
  return rows.map(({ value, line }, i) => {
    const parsed = BulkMessageSchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new BulkFileError(`${shown} row ${i + 1} (line ${line}): ${describe(issue)}`);
    }
    return parsed.data;
  });
}

/** A row's problem in our words where zod's would quote the file (an unexpected key's name). */
function describe(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `${issue.keys.length} unexpected field(s): only id, phone and text`;
  return `${issue.path.join('.') || '(row)'}: ${issue.message}`;
}

function parseJsonLines(text: string): { value: unknown; line: number }[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    try {
      return (JSON.parse(trimmed) as unknown[]).map((value) => ({ value, line: 1 }));
    } catch (err) {
      throw new BulkFileError(`the JSON array is not valid JSON (${position(err, text)})`);
    }
  }
  const rows: { value: unknown; line: number }[] = [];
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    try {
      rows.push({ value: JSON.parse(raw) as unknown, line: i + 1 });
    } catch (err) {
      throw new BulkFileError(`line ${i + 1} is not valid JSON (${position(err, raw)})`);
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

/** What the parse thread answers (or the worker itself, where the thread's file is not there). */
export function answerParse({ path, shown, format, known }: ParseRequest, threadId?: number): ParseReply {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch {
    return { unreadable: true };
  }
  const sha256 = sha256Of(bytes);
  // Same content as a file already parsed (a copy, a touched file): its messages are reused.
  if (known.includes(sha256)) return { sha256 };
  try {
    const { text, ends } = PackedMessages.pack(parseBulkFile(bytes.toString('utf8'), path, shown, format));
    return { sha256, packed: { text, ends }, ...(threadId !== undefined && { threadId }) };
  } catch (err) {
    if (err instanceof BulkFileError) return { error: err.message };
    throw err;
  }
}
