import { randomBytes } from 'node:crypto';
import { type DataConverter, defaultPayloadConverter, type Payload, type PayloadCodec } from '@temporalio/common';
import { guestDataConverter, encryptedDataConverter } from '../../src/codec/data-converter';
import { EncryptionCodec } from '../../src/codec/encryption-codec';
import { parseKeyRing } from '../../src/codec/keys';

// The host's codec writes the same `binary/encrypted` encoding and key id `k1` as ours, with its
// own key: the hardest case of two codecs on one payload stream.
const hostCodec = new EncryptionCodec(parseKeyRing(`k1:${randomBytes(32).toString('base64')}`));
const ourRing = parseKeyRing(`k1:${randomBytes(32).toString('base64')}`);
const ours = encryptedDataConverter(ourRing);
const HOST_FAILURES = '/app/host-failure-converter.js';

async function encode(codecs: PayloadCodec[], payload: Payload): Promise<Payload> {
  let out = [payload];
  for (const codec of codecs) out = await codec.encode(out);
  return out[0];
}
async function decode(codecs: PayloadCodec[], payload: Payload): Promise<Payload> {
  let out = [payload];
  for (const codec of [...codecs].reverse()) out = await codec.decode(out);
  return out[0];
}
const value = (p: Payload) => defaultPayloadConverter.fromPayload<unknown>(p);
const payload = (v: unknown) => defaultPayloadConverter.toPayload(v);

describe("the plugin's data converter beside the host's", () => {
  test("a host without a codec gets ours; the host's payload and failure converters stay", () => {
    const composed = guestDataConverter(
      { payloadConverterPath: '/app/payloads.js', failureConverterPath: HOST_FAILURES },
      { ours, ring: ourRing },
    )!;
    expect(composed.payloadCodecs).toEqual(ours.payloadCodecs);
    expect(composed.payloadConverterPath).toBe('/app/payloads.js');
    expect(composed.failureConverterPath).toBe(HOST_FAILURES);
    expect(guestDataConverter(undefined, { ours })).toEqual(ours);
  });

  test("a host with a codec keeps it: everything it writes, ours included, reads with the host's codec alone", async () => {
    const host: DataConverter = { payloadCodecs: [hostCodec], failureConverterPath: HOST_FAILURES };
    const composed = guestDataConverter(host, { ours, ring: ourRing })!;
    expect(composed.failureConverterPath).toBe(HOST_FAILURES);
    expect(composed.payloadCodecs![0]).toBe(hostCodec);
    const written = await encode(composed.payloadCodecs!, payload({ phone: '+380661112233' }));
    expect(value(await decode([hostCodec], written))).toEqual({ phone: '+380661112233' });
  });

  test('payloads an earlier plugin wrote with our key over the host codec still decode, and so do the host’s own', async () => {
    const composed = guestDataConverter({ payloadCodecs: [hostCodec] }, { ours, ring: ourRing })!;
    const byOurs = await encode([new EncryptionCodec(ourRing)], payload('written by 0.2.0'));
    const byHost = await encode([hostCodec], payload('written by the host'));
    const clear = payload('written before any codec');
    expect(value(await decode(composed.payloadCodecs!, byOurs))).toBe('written by 0.2.0');
    expect(value(await decode(composed.payloadCodecs!, byHost))).toBe('written by the host');
    expect(value(await decode(composed.payloadCodecs!, clear))).toBe('written before any codec');
  });

  test('asked to, ours encrypts on top of the host codec (outermost), and both still read back', async () => {
    const composed = guestDataConverter(
      { payloadCodecs: [hostCodec] },
      { ours, ring: ourRing, encryptBesideHostCodec: true },
    )!;
    expect(composed.payloadCodecs).toHaveLength(2);
    const written = await encode(composed.payloadCodecs!, payload('both'));
    expect(value(await decode(composed.payloadCodecs!, written))).toBe('both');
    // The host's codec alone cannot open it: that is what asking for it means.
    await expect(decode([hostCodec], written)).rejects.toThrow();
  });

  test('without keys of ours the host converter is returned as it was', () => {
    const host: DataConverter = { payloadCodecs: [hostCodec] };
    expect(guestDataConverter(host, {})).toBe(host);
    expect(guestDataConverter(undefined, {})).toBeUndefined();
  });
});
