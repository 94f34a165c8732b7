import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { parsedBy, pinBulkSource, readBulkSource } from '../../src/activities/bulk-source';
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

    test('only files inside CASCADE_BULK_DIRS are read: not beside them, not through a link, not ../', async () => {
      await expect(read(join(root, 'secret.csv'))).rejects.toThrow(/outside the directories/);
      await expect(read(join(allowed, 'link.csv'))).rejects.toThrow(/outside the directories/);
      await expect(read(join(allowed, '..', 'secret.csv'))).rejects.toThrow(/outside the directories/);
      await expect(read(join(root, 'secret.csv'), [])).rejects.toThrow(/bulk files are off on this worker/);
    });

    test('a JSON-lines file with a broken line names line and column, never its content', async () => {
      const file = join(allowed, 'broken.jsonl');
      writeFileSync(
        file,
        '{"id":"a","phone":"+380501234567","text":"hello"}\n{"id":"b","phone":"+380509999999","text":"private words}\n',
      );
      let message = '';
      try {
        await read(file);
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(/line 2 is not valid JSON \(line 1, column \d+\)/);
      expect(message).not.toMatch(/private|\+38050/);
    });

    test('a missing file and a forbidden one get the same answer (no probing for what exists)', async () => {
      const answer = async (path: string) => {
        try {
          await read(path);
        } catch (err) {
          return (err as Error).message.replace(path, '<path>');
        }
        return 'read';
      };
      const forbidden = await answer(join(root, 'secret.csv'));
      expect(forbidden).toMatch(/cannot read <path>/);
      expect(await answer(join(root, 'no-such.csv'))).toBe(forbidden);
      expect(await answer(join(allowed, 'no-such.csv'))).toBe(forbidden);
      expect(await answer(join(allowed, 'link.csv'))).toBe(forbidden);
    });

    test('an unexpected column is named by count, never by its name from the file', async () => {
      const file = join(allowed, 'extra.jsonl');
      writeFileSync(file, '{"id":"a","phone":"+380501234567","text":"hi","Olena Petrenko":"x"}\n');
      const err = (await read(file).catch((e: unknown) => e)) as Error;
      expect(err.message).toMatch(/row 1 \(line 1\): 1 unexpected field\(s\)/);
      expect(err.message).not.toMatch(/Olena/);
    });

    test('a file is pinned by content: a read after it changed stops with a clear error', async () => {
      const file = join(allowed, 'pinned.csv');
      writeFileSync(file, 'id,phone,text\na,+380501234567,hi\nb,+380501234568,hello\n');
      const pin = await pinBulkSource({ kind: 'file', path: file }, [allowed]);
      expect(pin).toEqual({ total: 2, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
      const source = { kind: 'file' as const, path: file, sha256: pin.sha256 };
      expect((await readBulkSource(source, [allowed])).slice().map((m) => m.id)).toEqual(['a', 'b']);
      // Same size, other content: the rows would shift silently without the pin.
      writeFileSync(file, 'id,phone,text\nb,+380501234568,hello\na,+380501234567,hi\n');
      await expect(readBulkSource(source, [allowed])).rejects.toThrow(/changed since the campaign started/);
    });

    test('two campaign files read in turn are parsed once each per worker', async () => {
      const a = join(allowed, 'a.csv');
      const b = join(allowed, 'b.csv');
      writeFileSync(a, 'id,phone,text\na,+380501234567,hi\n');
      writeFileSync(b, 'id,phone,text\nb,+380501234568,hello\n');
      const first = { a: await read(a), b: await read(b) };
      // The very same parsed rows come back: neither file was read and parsed again.
      for (let i = 0; i < 5; i++) {
        expect(await read(a)).toBe(first.a);
        expect(await read(b)).toBe(first.b);
      }
    });

    test('a 100 000-row file is parsed off the main thread: the event loop keeps turning meanwhile', async () => {
      const file = join(allowed, 'large.csv');
      const phone = (i: number) => `+38067${String(1_000_000 + i).padStart(7, '0')}`;
      const lines = Array.from({ length: 100_000 }, (_, i) => `m${i},${phone(i)},"Sale, ${i}"`);
      writeFileSync(file, `id,phone,text\n${lines.join('\n')}\n`);
      let ticks = 0;
      let reading = true;
      const tick = () => {
        ticks++;
        if (reading) setImmediate(tick);
      };
      setImmediate(tick);
      const list = await read(file);
      reading = false;
      expect(list.length).toBe(100_000);
      expect(list.slice(99_998)).toEqual([
        { id: 'm99998', phone: phone(99_998), text: 'Sale, 99998' },
        { id: 'm99999', phone: phone(99_999), text: 'Sale, 99999' },
      ]);
      expect(parsedBy(list)).toEqual(expect.any(Number));
      expect(parsedBy(list)).not.toBe(threadId);
      expect(ticks).toBeGreaterThan(10);
    });

    test('readers arriving while a file is parsed share that one parse', async () => {
      const file = join(allowed, 'shared.csv');
      writeFileSync(file, 'id,phone,text\na,+380501234567,hi\nb,+380501234568,hello\n');
      const [first, second, third] = await Promise.all([read(file), read(file), read(file)]);
      expect(second).toBe(first);
      expect(third).toBe(first);
    });

    test('an invalid row names row, line and field, never the number', async () => {
      const file = join(allowed, 'rows.csv');
      writeFileSync(file, 'id,phone,text\na,+380501234567,hi\nb,0677777777,hello\n');
      const err = (await read(file).catch((e: unknown) => e)) as Error;
      expect(err.message).toMatch(/rows\.csv row 2 \(line 3\): phone:/);
      expect(err.message).not.toMatch(/0677777777/);
    });
  });
});
