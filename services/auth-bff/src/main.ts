import { startAuthBff } from './auth-bff.ts';
import { loadConfig } from './config.ts';

// The one place that reads process.env: everything else gets the typed config.
const config = (() => {
  try {
    return loadConfig(process.env);
  } catch (error) {
    process.stderr.write(`auth-bff: ${(error as Error).message}\n`);
    process.exit(2);
  }
})();

const bff = await startAuthBff(config);
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    bff.logger.info({ signal }, 'shutting down');
    bff.close().then(
      () => bff.logger.flush(() => process.exit(0)),
      (error: unknown) => {
        bff.logger.error({ err: error }, 'shutdown failed');
        bff.logger.flush(() => process.exit(1));
      },
    );
  });
}
