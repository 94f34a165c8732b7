import { parseReachCallback } from '../../src/providers/reach/client';
import { countSegments } from '../../src/shared/sms-segments';
import { dlrDateToIso, reachState } from '../../src/providers/reach/status-map';
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
    expect(parseReachCallback({ messageId: 'MID1', status: 'held' })).toMatchObject({
      state: 'unknown',
      rawStatus: 'held',
    });
    expect(smsbatState('constructor')).toBe('unknown'); // not fooled by Object.prototype
  });

  test('Reach dlrDate YYMMDDhhmm is read as UTC, with seconds too', () => {
    expect(dlrDateToIso('2501231030')).toBe('2025-01-23T10:30:00Z');
    expect(dlrDateToIso('250123103045')).toBe('2025-01-23T10:30:45Z');
  });

  test('a Reach callback with an empty or odd dlrDate, an empty errorCode, a word in capitals still settles', () => {
    expect(parseReachCallback({ messageId: 'MID2', status: 'delivered', dlrDate: '', errorCode: '' })).toEqual({
      provider: 'reach',
      providerMessageId: 'MID2',
      state: 'delivered',
      rawStatus: 'delivered',
    });
    const odd = parseReachCallback({ messageId: 'MID3', status: 'DELIVERED', dlrDate: '25-01-23' });
    expect(odd).toMatchObject({ state: 'delivered', unreadable: ['dlrDate'] });
    expect(odd.occurredAt).toBeUndefined();
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
