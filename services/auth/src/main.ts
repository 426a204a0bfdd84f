import { startAuthService } from './auth-service.ts';
import { loadConfig } from './config.ts';

// The one place that reads process.env: everything else gets the typed config.
const config = (() => {
  try {
    return loadConfig(process.env);
  } catch (error) {
    process.stderr.write(`auth-service: ${(error as Error).message}\n`);
    process.exit(2);
  }
})();

const service = await startAuthService(config);
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    service.logger.info({ signal }, 'shutting down');
    service.close().then(
      () => service.logger.flush(() => process.exit(0)),
      (error: unknown) => {
        service.logger.error({ err: error }, 'shutdown failed');
        service.logger.flush(() => process.exit(1));
      },
    );
  });
}
