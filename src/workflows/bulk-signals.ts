import { defineQuery, defineSignal } from '@temporalio/workflow';
import { V3_PATCH } from './input';
import { type BulkSendParams } from '../shared/schemas';
import { type BulkMessageState, type BulkProgress } from '../shared/types';

/** Internal: a bulk chunk tells its parent how far it got (child workflow id, its counts). */
export const chunkProgressSignal = defineSignal<[string, BulkProgress]>('chunkProgress');

/**
 * Internal (0.3): a chunk has handed every message to the provider and only tracks receipts now
 * (child workflow id): the campaign starts its next chunk instead of waiting out `trackFor`.
 */
export const chunkSentSignal = defineSignal<[string]>('chunkSent');

/**
 * Campaign workflows' changes since 0.3.0 (ambiguous sends, retry passes, pause on failure, pinned
 * files): the release's one patch, so a campaign records one marker.
 */
export const BULK_V3_PATCH = V3_PATCH;

/** Why a campaign paused itself: its provider kept failing. */
export const PROVIDER_UNAVAILABLE = 'provider unavailable';

/** What a chunk carries into its next run (continue-as-new) or a resumed campaign into a new chunk. */
export interface ChunkCarry {
  /** By slot; `null`: not handed to the provider yet. */
  states: (BulkMessageState | null)[];
  /** Slots below this were handed to the provider at least once. */
  next: number;
  /** When status tracking ends (set once sending is done). */
  until?: number;
  receiptsPushed: boolean;
  wait?: number;
  pausedReason?: string;
}

/** The chunk's states by slot, for a campaign resumed after it ended (`null`: never sent). */
export const chunkCarryQuery = defineQuery<ChunkCarry>('chunkCarry');

/** Where a campaign is (its cursor and counts): what `resumeBulk` restarts an ended campaign from. */
export interface BulkResumeState {
  cursor: number;
  total: number;
  done: { sent: number; delivered: number; failed: number; pending: number; invalid?: number; unknown?: number };
  sha256?: string;
  /** The chunk running when asked (its workflow id), whose states a resumed campaign carries on from. */
  runningChunk?: string;
  /** The campaign's validated parameters. */
  params: BulkSendParams;
}
export const bulkResumeStateQuery = defineQuery<BulkResumeState>('bulkResumeState');
