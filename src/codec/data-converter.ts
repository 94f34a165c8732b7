import { type DataConverter } from '@temporalio/common';
import { EncryptionCodec } from './encryption-codec';
import { type KeyRing } from './keys';

/** The data converter for client, worker and test environments: encrypted payloads and failures. */
export function encryptedDataConverter(ring: KeyRing): DataConverter {
  return {
    payloadCodecs: [new EncryptionCodec(ring)],
    failureConverterPath: require.resolve('./failure-converter'),
  };
}

/** The configured data converter: encrypted when keys are set, Temporal's default otherwise. */
export function dataConverterFor(config: { encryption?: KeyRing }): DataConverter | undefined {
  return config.encryption && encryptedDataConverter(config.encryption);
}
