import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pinBulkSource, readBulkSource } from '../../src/activities/bulk-source';
import { BulkSendInputSchema } from '../../src/shared/schemas';

/** A campaign's input is bounded where Temporal bounds it, and a file source reads only what it may. */
describe('bulk input', () => {
  const step = { channel: 'smsbat' as const, fromName: 'Shop' };
  const many = (n: number, text: string) =>
    Array.from({ length: n }, (_, i) => ({
      id: `m${i}`,
      phone: `+38050${String(1_000_000 + i).padStart(7, '0')}`,
      text,
    }));

  test(`trackFor is bounded (at most 30d)`, () => {
    const messages = many(1, 'hi');
    expect(BulkSendInputSchema.safeParse({ bulkId: 'b', step, messages, trackFor: '30d' }).success).toBe(true);
    const parsed = BulkSendInputSchema.safeParse({ bulkId: 'b', step, messages, trackFor: '31d' });
    expect(parsed.error?.issues[0]).toMatchObject({ path: ['trackFor'], message: 'must be at most 30d' });
  });

  test('the inline cap counts UTF-8 bytes: 10 000 texts of 45 × € are refused before start, naming messages', () => {
    // 45 characters, 135 bytes each: the campaign is under the 1 MB cap in characters, over it in bytes.
    const parsed = BulkSendInputSchema.safeParse({ bulkId: 'euro', step, messages: many(10_000, '€'.repeat(45)) });
    expect(parsed.success).toBe(false);
    const issue = parsed.error!.issues.find((i) => i.path.length === 1 && i.path[0] === 'messages');
    expect(issue?.message).toMatch(/bytes \(UTF-8\)/);
    // The same count of ASCII texts fits.
    expect(
      BulkSendInputSchema.safeParse({ bulkId: 'ascii', step, messages: many(10_000, 'x'.repeat(40)) }).success,
    ).toBe(true);
  });

  describe('file sources', () => {
    let root: string;
    let allowed: string;
    beforeAll(() => {
      root = mkdtempSync(join(tmpdir(), 'cascade-bulk-'));
      allowed = join(root, 'campaigns');
      mkdirSync(allowed);
      writeFileSync(join(root, 'secret.csv'), 'id,phone,text\nx,+380501234567,not yours\n');
      symlinkSync(join(root, 'secret.csv'), join(allowed, 'link.csv'));
    });
    afterAll(() => rmSync(root, { recursive: true, force: true }));

    const read = (path: string, dirs = [allowed]) => readBulkSource({ kind: 'file', path }, dirs);

    test('only files inside CASCADE_BULK_DIRS are read: not beside them, not through a link, not ../', () => {
      expect(() => read(join(root, 'secret.csv'))).toThrow(/outside the directories/);
      expect(() => read(join(allowed, 'link.csv'))).toThrow(/outside the directories/);
      expect(() => read(join(allowed, '..', 'secret.csv'))).toThrow(/outside the directories/);
      expect(() => read(join(root, 'secret.csv'), [])).toThrow(/bulk files are off on this worker/);
    });

    test('a JSON-lines file with a broken line names line and column, never its content', () => {
      const file = join(allowed, 'broken.jsonl');
      writeFileSync(
        file,
        '{"id":"a","phone":"+380501234567","text":"hello"}\n{"id":"b","phone":"+380509999999","text":"private words}\n',
      );
      let message = '';
      try {
        read(file);
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(/line 2 is not valid JSON \(line 1, column \d+\)/);
      expect(message).not.toMatch(/private|\+38050/);
    });

    test('a missing file and a forbidden one get the same answer (no probing for what exists)', () => {
      const answer = (path: string) => {
        try {
          read(path);
        } catch (err) {
          return (err as Error).message.replace(path, '<path>');
        }
        return 'read';
      };
      const forbidden = answer(join(root, 'secret.csv'));
      expect(forbidden).toMatch(/cannot read <path>/);
      expect(answer(join(root, 'no-such.csv'))).toBe(forbidden);
      expect(answer(join(allowed, 'no-such.csv'))).toBe(forbidden);
      expect(answer(join(allowed, 'link.csv'))).toBe(forbidden);
    });

    test('an unexpected column is named by count, never by its name from the file', () => {
      const file = join(allowed, 'extra.jsonl');
      writeFileSync(file, '{"id":"a","phone":"+380501234567","text":"hi","Olena Petrenko":"x"}\n');
      expect(() => read(file)).toThrow(/row 1 \(line 1\): 1 unexpected field\(s\)/);
      expect(() => read(file)).not.toThrow(/Olena/);
    });

    test('a file is pinned by content: a read after it changed stops with a clear error', () => {
      const file = join(allowed, 'pinned.csv');
      writeFileSync(file, 'id,phone,text\na,+380501234567,hi\nb,+380501234568,hello\n');
      const pin = pinBulkSource({ kind: 'file', path: file }, [allowed]);
      expect(pin).toEqual({ total: 2, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
      const source = { kind: 'file' as const, path: file, sha256: pin.sha256 };
      expect(readBulkSource(source, [allowed]).map((m) => m.id)).toEqual(['a', 'b']);
      // Same size, other content: the rows would shift silently without the pin.
      writeFileSync(file, 'id,phone,text\nb,+380501234568,hello\na,+380501234567,hi\n');
      expect(() => readBulkSource(source, [allowed])).toThrow(/changed since the campaign started/);
    });

    test('two campaign files read in turn are parsed once each per worker', () => {
      const a = join(allowed, 'a.csv');
      const b = join(allowed, 'b.csv');
      writeFileSync(a, 'id,phone,text\na,+380501234567,hi\n');
      writeFileSync(b, 'id,phone,text\nb,+380501234568,hello\n');
      const first = { a: read(a), b: read(b) };
      // The very same parsed rows come back: neither file was read and parsed again.
      for (let i = 0; i < 5; i++) {
        expect(read(a)).toBe(first.a);
        expect(read(b)).toBe(first.b);
      }
    });

    test('an invalid row names row, line and field, never the number', () => {
      const file = join(allowed, 'rows.csv');
      writeFileSync(file, 'id,phone,text\na,+380501234567,hi\nb,0677777777,hello\n');
      expect(() => read(file)).toThrow(/rows\.csv row 2 \(line 3\): phone:/);
      expect(() => read(file)).not.toThrow(/0677777777/);
    });
  });
});
