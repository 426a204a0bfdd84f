import { type Logger, type LoggerOptions, pino } from 'pino';
import { currentRequestId } from '../context/request-context.ts';

export type { Logger } from 'pino';

/** Paths that must never reach a log line, whatever object carries them. */
const REDACT = [
  'password',
  'currentPassword',
  'newPassword',
  'refreshToken',
  'accessToken',
  'token',
  'secret',
  'code',
  'backupCode',
  'totpCode',
  '*.password',
  '*.currentPassword',
  '*.newPassword',
  '*.refreshToken',
  '*.accessToken',
  '*.token',
  '*.secret',
  '*.totpCode',
  '*.backupCode',
  'req.headers.authorization',
  'req.headers.cookie',
];

export interface LoggerConfig {
  readonly service: string;
  readonly level: string;
}

/**
 * JSON logs; every line written inside a request carries its `requestId`. By default lines go to
 * stdout through an asynchronous buffer: a synchronous write to a slow pipe would stall the event
 * loop (and every request) until the reader catches up. Call `logger.flush()` before exiting.
 */
export function createLogger(
  config: LoggerConfig,
  destination: pino.DestinationStream = pino.destination({ dest: 1, sync: false }),
): Logger {
  const options: LoggerOptions = {
    level: config.level,
    base: { service: config.service },
    redact: { paths: REDACT, censor: '[redacted]' },
    mixin: () => {
      const requestId = currentRequestId();
      return requestId === undefined ? {} : { requestId };
    },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return pino(options, destination);
}
