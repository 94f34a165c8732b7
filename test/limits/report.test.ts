import { IntervalReport } from '../../src/limits/report';

describe('IntervalReport: a failure at every start is one log line per interval', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  test('1 000 guard_unavailable starts in a minute: a line at the first, one with the rest a minute later', () => {
    const lines: [string, number, string][] = [];
    const report = new IntervalReport((event, count, detail) => lines.push([event, count, detail]), 60_000);
    for (let i = 0; i < 1000; i++) {
      report.add('guard_unavailable', `timeout ${i}`);
      jest.advanceTimersByTime(50);
    }
    expect(lines).toEqual([['guard_unavailable', 1, 'timeout 0']]);
    jest.advanceTimersByTime(10_000);
    expect(lines).toEqual([
      ['guard_unavailable', 1, 'timeout 0'],
      ['guard_unavailable', 999, 'timeout 999'],
    ]);
    expect(report.totals.get('guard_unavailable')).toBe(1000);
    // Quiet for a while: the next one is written at once again.
    jest.advanceTimersByTime(120_000);
    report.add('guard_unavailable', 'again');
    expect(lines.at(-1)).toEqual(['guard_unavailable', 1, 'again']);
  });

  test('events are reported each on its own', () => {
    const lines: string[] = [];
    const report = new IntervalReport((event, count) => lines.push(`${event}:${count}`), 60_000);
    report.add('guard_unavailable', 'x');
    report.add('would_refuse', 'y');
    report.add('would_refuse', 'y');
    report.flush();
    expect(lines).toEqual(['guard_unavailable:1', 'would_refuse:1', 'would_refuse:1']);
  });
});
