// npm start: the platform on one machine with nothing to install — PGlite for PostgreSQL, an
// in-memory cache for Valkey, an in-process bus for Kafka. Services arrive here as they land.

import { loadConfig as loadIdentityConfig } from '@girok/identity/config';
import { startIdentityService } from '@girok/identity/service';
import { InProcessBus } from '@girok/kit/events';
import { createLogger } from '@girok/kit/logging';
import { loadLocalPlatformConfig } from './local-config.ts';

const local = loadLocalPlatformConfig(process.env);
const logger = createLogger({ service: 'girok-local', level: local.logLevel });
const bus = new InProcessBus(logger);

const identity = await startIdentityService(loadIdentityConfig(local.identity), { bus });

process.stdout.write(
  [
    '',
    'Girok is running on embedded defaults (PGlite, in-memory cache, in-process events).',
    `  data           ${local.dataDir}`,
    `  identity REST  ${identity.httpUrl}  (OpenAPI: ${identity.httpUrl}/openapi.json)`,
    `  identity gRPC  ${identity.grpcAddress}  (girok.identity.v1.IdentityService, reflection on)`,
    'Stop with Ctrl-C.',
    '',
  ].join('\n'),
);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    if (stopping) return;
    stopping = true;
    identity.close().then(
      () => logger.flush(() => process.exit(0)),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        logger.flush(() => process.exit(1));
      },
    );
  });
}
