/** `npm run codec-server`: the Web UI's codec endpoint, keys from the environment. */
import { stopOnSignals } from '../http-server/shutdown';
import { loadConfig } from '../config';
import { EncryptionCodec } from './encryption-codec';
import { CodecServer } from './server';

async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.encryption) throw new Error('set CASCADE_ENCRYPTION_KEYS (or CASCADE_ENCRYPTION_KEY_FILE)');
  const server = await new CodecServer({
    codec: new EncryptionCodec(config.encryption),
    allowOrigins: config.codecServer.allowOrigins,
    token: config.codecServer.token,
  }).start(config.codecServer.port, '0.0.0.0');
  console.log(`codec server on ${server.url} for ${config.codecServer.allowOrigins.join(', ')}`);
  stopOnSignals(() => server.close());
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
