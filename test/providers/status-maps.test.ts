import { countSegments } from '../../src/providers/reach/segments';
import { dlrDateToIso, reachCallbackToStatus, reachState } from '../../src/providers/reach/status-map';
import { smsbatState } from '../../src/providers/smsbat/status-map';

describe('provider status words → the shared delivery state', () => {
  test('Reach: sent is not delivered; canceled is a failure', () => {
    expect(['scheduled', 'queued', 'sent', 'delivered', 'undelivered', 'failed', 'canceled'].map(reachState)).toEqual([
      'pending',
      'pending',
      'pending',
      'delivered',
      'failed',
      'failed',
      'failed',
    ]);
  });

  test('an unknown word becomes unknown, with the raw word kept', () => {
    expect(smsbatState('rerouted')).toBe('unknown');
    expect(reachCallbackToStatus({ messageId: 'MID1', status: 'held' })).toMatchObject({
      state: 'unknown',
      rawStatus: 'held',
    });
    expect(smsbatState('constructor')).toBe('unknown'); // not fooled by Object.prototype
  });

  test('Reach dlrDate YYMMDDhhmm is read as UTC', () => {
    expect(dlrDateToIso('2501231030')).toBe('2025-01-23T10:30:00Z');
  });
});

describe('SMS segments (Reach: at most 10)', () => {
  test.each([
    ['x'.repeat(160), 'GSM-7', 1],
    ['x'.repeat(161), 'GSM-7', 2],
    ['€'.repeat(80), 'GSM-7', 1], // extension characters take two septets
    ['€'.repeat(81), 'GSM-7', 2],
    ['ж'.repeat(70), 'UCS-2', 1],
    ['ж'.repeat(71), 'UCS-2', 2],
    ['x'.repeat(1530), 'GSM-7', 10],
  ])('%#: %s…', (body, encoding, segments) => {
    expect(countSegments(body)).toMatchObject({ encoding, segments });
  });
});
