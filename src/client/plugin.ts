import { type ClientOptions, type ClientPlugin } from '@temporalio/client';
import { dataConverterFor, guestDataConverter, type GuestConverterOptions } from '../codec/data-converter';
import { loadClientConfig, type CascadeClientConfig } from '../config';

export interface CascadeClientPluginOptions {
  config?: Pick<CascadeClientConfig, 'encryption'>;
  /** Encrypt with our key even on top of the client's own codec (default false: the host's codec covers ours). */
  encryptBesideHostCodec?: boolean;
}

/**
 * The client side of the plugin: only the data converter (payload encryption), so a backend that
 * starts and verifies flows loads no worker, no native code and no provider client. Configured from
 * CASCADE_ENCRYPTION_KEYS (or CASCADE_ENCRYPTION=off) unless given a config. A client with a codec
 * of its own keeps it, with its payload and failure converters (see guestDataConverter).
 */
export class CascadeClientPlugin implements ClientPlugin {
  readonly name = 'temporal-cascade-client';
  private readonly converter: GuestConverterOptions;

  constructor(options: CascadeClientPluginOptions = {}) {
    const config = options.config ?? loadClientConfig();
    this.converter = {
      ours: dataConverterFor(config),
      ring: config.encryption,
      encryptBesideHostCodec: options.encryptBesideHostCodec ?? false,
    };
  }

  configureClient(options: Omit<ClientOptions, 'plugins'>): Omit<ClientOptions, 'plugins'> {
    const dataConverter = guestDataConverter(options.dataConverter, this.converter);
    return dataConverter ? { ...options, dataConverter } : options;
  }
}

export function createCascadeClientPlugin(options: CascadeClientPluginOptions = {}): CascadeClientPlugin {
  return new CascadeClientPlugin(options);
}
