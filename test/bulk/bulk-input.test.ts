import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readBulkSource } from '../../src/activities/bulk-source';
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

    test('an invalid row names row, line and field, never the number', () => {
      const file = join(allowed, 'rows.csv');
      writeFileSync(file, 'id,phone,text\na,+380501234567,hi\nb,0677777777,hello\n');
      expect(() => read(file)).toThrow(/rows\.csv row 2 \(line 3\): phone:/);
      expect(() => read(file)).not.toThrow(/0677777777/);
    });
  });
});
