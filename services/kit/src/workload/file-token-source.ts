import { DomainError } from '../errors/domain-error.ts';
import { WatchedFile } from './watched-file.ts';

/** Where a component gets its own token for outgoing calls. */
export interface WorkloadTokenSource {
  token(): Promise<string>;
}

/**
 * The projected ServiceAccount token the kubelet writes and rotates: read again when the file
 * changes (looked at no more than once a second), so a rotated token is used from the next call on.
 */
export class FileTokenSource implements WorkloadTokenSource {
  readonly #file: WatchedFile;

  constructor(path: string) {
    this.#file = new WatchedFile(path);
  }

  async token(): Promise<string> {
    let content: string;
    try {
      content = await this.#file.read();
    } catch (error) {
      const reason = (error as { code?: unknown }).code ?? 'unreadable';
      throw unavailable(
        `The workload token file ${this.#file.path} cannot be read (${String(reason)}); mount the projected ServiceAccount token there or configure the path it is mounted at`,
        error,
      );
    }
    const token = content.trim();
    if (token === '') {
      throw unavailable(
        `The workload token file ${this.#file.path} is empty; the kubelet has not written the projected ServiceAccount token yet or the mount is wrong`,
      );
    }
    return token;
  }
}

// The caller cannot present its own identity: retrying later may find the kubelet's token.
const unavailable = (message: string, cause?: unknown) =>
  new DomainError('UNAVAILABLE', 'WORKLOAD_TOKEN_UNAVAILABLE', message, { cause, retryAfterSeconds: 1 });
