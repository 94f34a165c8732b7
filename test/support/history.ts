/** The history as text, every payload's base64 `data` decoded, so nothing hides in encoding. */
export function decodedHistory(history: unknown): string {
  return JSON.stringify(history, (key, value) =>
    key === 'data' && typeof value === 'string' ? Buffer.from(value, 'base64').toString('utf8') : value,
  );
}
