import { readFileSync } from 'node:fs';
import { type CascadeConfig } from './config';

/**
 * What a connection to a remote cluster (Temporal Cloud) needs beyond the address: an mTLS client
 * certificate, or an API key over TLS. Client `Connection` and worker `NativeConnection` take the same.
 */
export function connectionAuth(config: Pick<CascadeConfig, 'temporal'>): {
  tls?: { clientCertPair: { crt: Buffer; key: Buffer } } | boolean;
  apiKey?: string;
} {
  const { tls, apiKey } = config.temporal;
  if (tls) return { tls: { clientCertPair: { crt: readFileSync(tls.certPath), key: readFileSync(tls.keyPath) } } };
  if (apiKey) return { tls: true, apiKey };
  return {};
}
