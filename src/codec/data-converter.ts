import { type DataConverter } from '@temporalio/common';
import { EncryptionCodec } from './encryption-codec';
import { type KeyRing } from './keys';

const FAILURE_CONVERTER_PATH = require.resolve('./failure-converter');

/** The data converter for client, worker and test environments: encrypted payloads and failures. */
export function encryptedDataConverter(ring: KeyRing): DataConverter {
  return {
    payloadCodecs: [new EncryptionCodec(ring)],
    failureConverterPath: FAILURE_CONVERTER_PATH,
  };
}

/** The configured data converter: encrypted when keys are set, Temporal's default otherwise. */
export function dataConverterFor(config: { encryption?: KeyRing }): DataConverter | undefined {
  return config.encryption && encryptedDataConverter(config.encryption);
}

export interface GuestConverterOptions {
  /** Our converter (CASCADE_ENCRYPTION_KEYS, or the plugin's `dataConverter` option); none: the host's stays as is. */
  ours?: DataConverter;
  /** Our key ring, so payloads an earlier version wrote with it over the host's codec still decode. */
  ring?: KeyRing;
  /** Add our encryption even where the host brings its own codec (then the host's payloads carry it too). */
  encryptBesideHostCodec?: boolean;
}

/**
 * A guest's data converter: the host's converter stays in force, never replaced.
 *
 * - Host without codecs: ours is added (its codec, and its failure converter unless the host
 *   named one). Payloads written before, in clear, still decode: the codec passes them through.
 * - Host with codecs: theirs encrypts everything, ours included, so the host's other services read
 *   every payload with the host's codec alone. Ours is added only for decoding what our key wrote
 *   earlier (tolerant: what it cannot open goes on to the host's codec), unless
 *   `encryptBesideHostCodec` asks for it on top (outermost, tolerant too).
 * - The host's payload and failure converters are always kept.
 */
export function guestDataConverter(
  host: DataConverter | undefined,
  { ours, ring, encryptBesideHostCodec = false }: GuestConverterOptions,
): DataConverter | undefined {
  if (!ours) return host;
  const hostCodecs = host?.payloadCodecs ?? [];
  if (hostCodecs.length === 0) {
    return withDefined({
      ...host,
      payloadConverterPath: host?.payloadConverterPath ?? ours.payloadConverterPath,
      failureConverterPath: host?.failureConverterPath ?? ours.failureConverterPath,
      payloadCodecs: ours.payloadCodecs,
    });
  }
  const extra = encryptBesideHostCodec
    ? ring
      ? [new EncryptionCodec(ring, { tolerant: true })]
      : (ours.payloadCodecs ?? [])
    : ring
      ? [new EncryptionCodec(ring, { decodeOnly: true })]
      : [];
  // Codecs encode in array order and decode in reverse: ours last, so its decode sees our own
  // (outermost) payloads first and hands everything else, untouched, to the host's codecs.
  return withDefined({ ...host, payloadCodecs: [...hostCodecs, ...extra] });
}

function withDefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
