import { writeFileSync } from 'node:fs';
import type { Logger } from '../logging/logger.ts';

/** Where Kubernetes reads a container's last words (the Pod's `terminationMessagePath`). */
export const TERMINATION_LOG = '/dev/termination-log';

/**
 * Says on one line why the service could not start: on stderr, and in the termination log when
 * it exists (in a Pod), whence the operator puts it into the platform's ComponentFailing
 * condition. `r+` never creates the file: outside a Pod nothing is written.
 */
export function reportFatal(name: string, error: unknown, terminationLog = TERMINATION_LOG): void {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const line = `${name}: ${text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .join(' ')}`;
  process.stderr.write(`${line}\n`);
  try {
    writeFileSync(terminationLog, `${line}\n`, { flag: 'r+' });
  } catch {
    // Not in a Pod, or not writable: stderr has it.
  }
}

export interface RunningService {
  readonly logger: Logger;
  close(): Promise<void>;
}

/**
 * A service's `main`: reads its config once from the environment (a bad variable exits 2 naming
 * every problem), starts it (a failed start exits 1), and on SIGTERM/SIGINT closes it in order,
 * flushes the logs and exits 0 (1 when shutdown failed). Why it could not start goes to stderr and
 * to the Pod's termination log (reportFatal).
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
    reportFatal(name, error);
    process.exit(2);
  }
  let service: RunningService;
  try {
    service = await start(config);
  } catch (error) {
    reportFatal(name, error);
    if (error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    process.exit(1);
  }
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
