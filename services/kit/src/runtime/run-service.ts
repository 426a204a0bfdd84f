import type { Logger } from '../logging/logger.ts';

export interface RunningService {
  readonly logger: Logger;
  close(): Promise<void>;
}

/**
 * A service's `main`: reads its config once from the environment (a bad variable exits 2 naming
 * every problem), starts it, and on SIGTERM/SIGINT closes it in order, flushes the logs and exits
 * 0 (1 when shutdown failed).
 */
export async function runService<C>(
  name: string,
  loadConfig: (env: NodeJS.ProcessEnv) => C,
  start: (config: C) => Promise<RunningService>,
): Promise<void> {
  let config: C;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    process.stderr.write(`${name}: ${(error as Error).message}\n`);
    process.exit(2);
  }
  const service = await start(config);
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
}
