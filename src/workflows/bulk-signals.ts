import { defineSignal } from '@temporalio/workflow';
import { type BulkProgress } from '../shared/types';

/** Internal: a bulk chunk tells its parent how far it got (child workflow id, its counts). */
export const chunkProgressSignal = defineSignal<[string, BulkProgress]>('chunkProgress');
