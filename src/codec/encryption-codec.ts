import { type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { decrypt, encrypt } from './crypto';
import { type KeyRing } from './keys';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';

export interface EncryptionCodecOptions {
  /**
   * Beside a host app's own codec: payloads this ring cannot open (another key id, or a codec that
   * happens to use the same `binary/encrypted` encoding) pass through to the host's codec instead of
   * failing the decode.
   */
  tolerant?: boolean;
  /** Decode only (encode leaves payloads as they are): reads what our key wrote, writes nothing new with it. */
  decodeOnly?: boolean;
}

/**
 * Encrypts every payload (inputs, results, signals, updates, queries, and failure messages with
 * the failure converter's `encodeCommonAttributes`) with AES-256-GCM. The key id travels in the
 * payload's metadata, so keys can rotate: encode uses the current key, decode whichever is named.
 */
export class EncryptionCodec implements PayloadCodec {
  constructor(
    private readonly ring: KeyRing,
    private readonly options: EncryptionCodecOptions = {},
  ) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    if (this.options.decodeOnly) return payloads;
    const key = this.ring.keys.get(this.ring.currentId)!;
    return payloads.map((payload) => ({
      metadata: {
        encoding: new TextEncoder().encode(ENCRYPTED_ENCODING),
        [KEY_ID_METADATA]: new TextEncoder().encode(this.ring.currentId),
      },
      data: encrypt(key, temporal.api.common.v1.Payload.encode(payload).finish()),
    }));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const encoding = payload.metadata?.encoding && new TextDecoder().decode(payload.metadata.encoding);
      if (encoding !== ENCRYPTED_ENCODING) return payload;
      const idBytes = payload.metadata?.[KEY_ID_METADATA];
      const keyId = idBytes ? new TextDecoder().decode(idBytes) : '';
      const key = this.ring.keys.get(keyId);
      const tolerant = this.options.tolerant || this.options.decodeOnly;
      if (!key) {
        if (tolerant) return payload;
        throw new Error(`payload encrypted with unknown key "${keyId}": add it to CASCADE_ENCRYPTION_KEYS`);
      }
      try {
        return temporal.api.common.v1.Payload.decode(decrypt(key, payload.data ?? new Uint8Array()));
      } catch (err) {
        if (tolerant) return payload;
        throw err;
      }
    });
  }
}
