import { DefaultLogger, type LogEntry, type LogLevel } from '@temporalio/worker';

/**
 * The sandbox's worker log, for people watching a terminal: one line per warning (a failed
 * activity attempt names its activity, attempt, flow and reason), not the SDK's stack traces and
 * task tokens. DEV_VERBOSE=1 brings the SDK's full entries back.
 */
export function sandboxLogger(level: LogLevel = 'WARN'): DefaultLogger {
  if (process.env.DEV_VERBOSE && process.env.DEV_VERBOSE !== '0') return new DefaultLogger(level);
  return new DefaultLogger(level, (entry) => console.error(formatEntry(entry)));
}

export function formatEntry({ level, message, meta, timestampNanos }: LogEntry): string {
  const time = new Date(Number(timestampNanos / 1_000_000n)).toISOString();
  const m = (meta ?? {}) as Record<string, unknown>;
  const reason = m.error instanceof Error ? m.error.message : typeof m.error === 'string' ? m.error : undefined;
  if (message === 'Activity failed' && typeof m.activityType === 'string') {
    const where = m.workflowId ? ` in ${String(m.workflowId)}` : '';
    return `${time} ${level} activity ${m.activityType} failed (attempt ${String(m.attempt ?? '?')})${where}: ${reason ?? 'no reason given'}`;
  }
  const where = typeof m.workflowId === 'string' ? ` [${m.workflowId}]` : '';
  return `${time} ${level} ${message}${where}${reason ? `: ${reason}` : ''}`;
}
