#!/usr/bin/env node
/** `temporal-cascade-codec-server` (`npm run codec-server`): the Web UI's codec endpoint, keys from the environment. */
import { loadConfig } from '../config';
import { EncryptionCodec } from '../codec/encryption-codec';
import { CodecServer } from '../codec/server';
import { runMain, untilSignal } from './main';

runMain(async () => {
  const config = loadConfig();
  if (!config.encryption) throw new Error('set CASCADE_ENCRYPTION_KEYS (or CASCADE_ENCRYPTION_KEY_FILE)');
  const { host, port, allowOrigins, hostnames, token } = config.codecServer;
  const server = await new CodecServer({
    codec: new EncryptionCodec(config.encryption),
    allowOrigins,
    hostnames,
    token,
  }).start(port, host);
  console.log(
    `codec server on ${server.url} for ${allowOrigins.join(', ')}; ` +
      (server.protectedByToken
        ? 'requests need the token (Authorization: Bearer, or the endpoint …/t/<token>)'
        : 'no token: it listens on loopback only, and anyone on this machine can decode'),
  );
  await untilSignal();
  await server.close();
});
