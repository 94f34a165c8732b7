import { readFileSync, statSync } from 'node:fs';
import { ApplicationFailure } from '@temporalio/activity';
import { BulkMessageSchema, type BulkMessage } from '../shared/schemas';
import { type BulkSource } from './types';

/**
 * Reads bulk messages from a file the workers can see (CSV with header `id,phone,text`, or JSON
 * lines). Parsed files are cached per path and modification time, so the batches of a large
 * campaign do not parse it again each time. Invalid rows fail the campaign before anything is sent.
 */
const cache = new Map<string, { mtimeMs: number; messages: BulkMessage[] }>();

export function readBulkSource(source: BulkSource): BulkMessage[] {
  if (source.kind === 'inline') return source.messages;
  let mtimeMs: number;
  try {
    mtimeMs = statSync(source.path).mtimeMs;
  } catch {
    throw ApplicationFailure.create({
      type: 'CascadeBulkFile',
      message: `cannot read ${source.path}`,
      nonRetryable: true,
    });
  }
  const hit = cache.get(source.path);
  if (hit && hit.mtimeMs === mtimeMs) return hit.messages;
  const text = readFileSync(source.path, 'utf8');
  const format = source.format ?? (source.path.endsWith('.csv') ? 'csv' : 'jsonl');
  let rows: unknown[];
  try {
    rows = format === 'csv' ? parseCsv(text) : parseJsonLines(text);
  } catch (err) {
    throw ApplicationFailure.create({
      type: 'CascadeBulkFile',
      message: `${source.path}: ${(err as Error).message}`,
      nonRetryable: true,
    });
  }
  const messages = rows.map((row, i) => {
    const parsed = BulkMessageSchema.safeParse(row);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw ApplicationFailure.create({
        type: 'CascadeBulkFile',
        message: `${source.path} row ${i + 1}: ${issue.path.join('.')}: ${issue.message}`,
        nonRetryable: true,
      });
    }
    return parsed.data;
  });
  cache.clear(); // one campaign file at a time is plenty per worker
  cache.set(source.path, { mtimeMs, messages });
  return messages;
}

function parseJsonLines(text: string): unknown[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) return JSON.parse(trimmed) as unknown[];
  return trimmed
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as unknown);
}

/** CSV per RFC 4180: quoted fields may hold commas, quotes ("") and newlines. */
export function parseCsv(text: string): Record<string, string>[] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
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
      if (c === '\r' && text[i + 1] === '\n') i++;
      record.push(field);
      records.push(record);
      record = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  const [header, ...rows] = records.filter((r) => r.some((f) => f.trim() !== ''));
  if (!header) return [];
  return rows.map((r) => Object.fromEntries(header.map((h, i) => [h.trim(), r[i] ?? ''])));
}
