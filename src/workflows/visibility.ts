import { setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { CURRENT_CHANNEL, FLOW_STATUS } from '../shared/search-attributes';
import { rulesFor } from '../shared/channel-rules';
import type { Channel, Step } from '../shared/schemas';

/** What operators see in the Web UI: search attributes to filter on, and a line of current details. */
export function showStatus(status: string): void {
  upsertSearchAttributes([{ key: FLOW_STATUS, value: status }]);
}

/** Skipped when already shown (the client sets the first step's channel at start). */
export function showChannel(channel: Channel): void {
  if (workflowInfo().typedSearchAttributes.get(CURRENT_CHANNEL) === channel) return;
  upsertSearchAttributes([{ key: CURRENT_CHANNEL, value: channel }]);
}

export function showDetails(line: string): void {
  setCurrentDetails(line);
}

export function describeStep(step: Step): string {
  return rulesFor(step).label(step);
}

export function formatDuration(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000} d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms % 1000 === 0) return `${ms / 1000} s`;
  return `${ms} ms`;
}
