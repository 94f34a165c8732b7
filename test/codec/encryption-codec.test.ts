import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { EncryptionCodec } from '../../src/codec/encryption-codec';
import { parseKeyRing } from '../../src/codec/keys';

const key = () => randomBytes(32).toString('base64');

describe('EncryptionCodec (AES-256-GCM with key ids)', () => {
  const a = key();
  const b = key();
  const payload = defaultPayloadConverter.toPayload({ phone: '+380501234567', text: 'Your code is 123456' });

  test('round trip; the stored bytes hold nothing readable', async () => {
    const codec = new EncryptionCodec(parseKeyRing(`a:${a}`));
    const [encoded] = await codec.encode([payload]);
    expect(Buffer.from(encoded.data!).toString('latin1')).not.toContain('+380501234567');
    expect(new TextDecoder().decode(encoded.metadata!['encryption-key-id'])).toBe('a');
    expect(defaultPayloadConverter.fromPayload((await codec.decode([encoded]))[0])).toEqual({
      phone: '+380501234567',
      text: 'Your code is 123456',
    });
  });

  test('rotation: new payloads use the current key, old ones still decrypt', async () => {
    const [old] = await new EncryptionCodec(parseKeyRing(`a:${a}`)).encode([payload]);
    const rotated = new EncryptionCodec(parseKeyRing(`b:${b},a:${a}`));
    const [fresh] = await rotated.encode([payload]);
    expect(new TextDecoder().decode(fresh.metadata!['encryption-key-id'])).toBe('b');
    await expect(rotated.decode([old, fresh])).resolves.toHaveLength(2);
    await expect(new EncryptionCodec(parseKeyRing(`b:${b}`)).decode([old])).rejects.toThrow(/unknown key "a"/);
  });

  test('tampering is detected', async () => {
    const codec = new EncryptionCodec(parseKeyRing(`a:${a}`));
    const [encoded] = await codec.encode([payload]);
    const data = Buffer.from(encoded.data!);
    data[20] ^= 1;
    await expect(codec.decode([{ ...encoded, data }])).rejects.toThrow();
  });

  test('bad key specifications are refused with a reason', () => {
    expect(() => parseKeyRing('')).toThrow(/no encryption keys/);
    expect(() => parseKeyRing('a:c2hvcnQ=')).toThrow(/32 bytes/);
    expect(() => parseKeyRing(`a:${a},a:${b}`)).toThrow(/repeats the id/);
    expect(() => parseKeyRing(a)).toThrow(/<id>:/);
  });
});
