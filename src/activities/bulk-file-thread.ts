/**
 * The parse thread's entry (node:worker_threads): reads a campaign file, hashes it and parses it
 * away from the worker's event loop, so a large file does not hold up the worker's other
 * activities and heartbeats. Started by bulk-source.ts, one thread per parse; nothing imports it.
 */
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { answerParse, type ParseRequest } from './bulk-file';

const reply = answerParse(workerData as ParseRequest, threadId);
parentPort!.postMessage(reply, 'packed' in reply && reply.packed ? [reply.packed.ends.buffer as ArrayBuffer] : []);
