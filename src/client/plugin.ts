import { type ClientOptions, type ClientPlugin } from '@temporalio/client';
import { type DataConverter } from '@temporalio/common';
import { dataConverterFor } from '../codec/data-converter';
import { loadClientConfig, type CascadeClientConfig } from '../config';

/**
 * The client side of the plugin: only the data converter (payload encryption), so a backend that
 * starts and verifies flows loads no worker, no native code and no provider client. Configured from
 * CASCADE_ENCRYPTION_KEYS (or CASCADE_ENCRYPTION=off) unless given a config.
 */
export class CascadeClientPlugin implements ClientPlugin {
  readonly name = 'temporal-cascade-client';
  private readonly dataConverter?: DataConverter;

  constructor(options: { config?: Pick<CascadeClientConfig, 'encryption'> } = {}) {
    this.dataConverter = dataConverterFor(options.config ?? loadClientConfig());
  }

  configureClient(options: Omit<ClientOptions, 'plugins'>): Omit<ClientOptions, 'plugins'> {
    if (!this.dataConverter) return options;
    return { ...options, dataConverter: { ...options.dataConverter, ...this.dataConverter } };
  }
}

export function createCascadeClientPlugin(
  options: { config?: Pick<CascadeClientConfig, 'encryption'> } = {},
): CascadeClientPlugin {
  return new CascadeClientPlugin(options);
}
