/** The history as text, every payload's base64 `data` decoded, so nothing hides in encoding. */
export function decodedHistory(history: unknown): string {
  return JSON.stringify(history, (key, value) =>
    key === 'data' && typeof value === 'string' ? Buffer.from(value, 'base64').toString('utf8') : value,
  );
}

interface HistoryEvent {
  eventTime?: { seconds?: unknown; nanos?: number | null } | null;
  activityTaskScheduledEventAttributes?: { activityType?: { name?: string | null } | null } | null;
  markerRecordedEventAttributes?: {
    markerName?: string | null;
    details?: Record<string, { payloads?: { data?: Uint8Array | null }[] | null }> | null;
  } | null;
}

/**
 * The activities a flow ran, in order, with when: scheduled activities and local activities (whose
 * only trace in history is a marker; sends are local since 0.2.0).
 */
export function activitiesRun(events: HistoryEvent[]): { name: string; at: number; local: boolean }[] {
  return events.flatMap((e): { name: string; at: number; local: boolean }[] => {
    const at = Number(e.eventTime!.seconds) * 1000 + Math.floor((e.eventTime!.nanos ?? 0) / 1e6);
    const scheduled = e.activityTaskScheduledEventAttributes?.activityType?.name;
    if (scheduled) return [{ name: scheduled, at, local: false }];
    const marker = e.markerRecordedEventAttributes;
    if (marker?.markerName !== 'core_local_activity') return [];
    const data = marker.details?.data?.payloads?.[0]?.data;
    const name = data
      ? (JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type?: string }).activity_type
      : undefined;
    return name ? [{ name, at, local: true }] : [];
  });
}
