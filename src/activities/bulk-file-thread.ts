/**
 * The parse thread's entry (node:worker_threads): reads a campaign file, hashes it and parses it
 * away from the worker's event loop, so a large file does not hold up the worker's other
 * activities and heartbeats. Started by bulk-source.ts, one thread per parse; nothing imports it.
 */
import { readFileSync } from 'node:fs';
import { parentPort, threadId, workerData } from 'node:worker_threads';
import {
  BulkFileError,
  PackedMessages,
  parseBulkFile,
  sha256Of,
  type ParseReply,
  type ParseRequest,
} from './bulk-file';

const { path, shown, format, known } = workerData as ParseRequest;
const reply = parse();
parentPort!.postMessage(reply, 'packed' in reply && reply.packed ? [reply.packed.ends.buffer as ArrayBuffer] : []);

function parse(): ParseReply {
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
    return { sha256, packed: { text, ends }, threadId };
  } catch (err) {
    if (err instanceof BulkFileError) return { error: err.message };
    throw err;
  }
}
