import { type CascadeClient } from '../client/cascade-client';

/** `temporal-cascade bulk resume <bulkId>`: resume a paused campaign, or restart an ended one from its progress. */
export async function bulkResumeCommand(
  cascade: CascadeClient,
  bulkId: string | undefined,
  print: (human: string, data: unknown) => void,
): Promise<boolean> {
  if (!bulkId) return false;
  const result = await cascade.resumeBulk(bulkId);
  if (result.resumed === 'signaled') print(`resume sent to ${result.id}`, result);
  else if (result.resumed === 'restarted') print(`${result.id} restarted at message ${result.from + 1}`, result);
  else print(`${result.id}: ${result.reason}`, result);
  return result.resumed !== false;
}
