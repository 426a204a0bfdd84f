import { readFile, stat } from 'node:fs/promises';

/**
 * A file read again only when it changed (inode, size or mtime), looked at no more than once per
 * interval, so a caller can ask for it on every request. The kubelet rotates projected files by
 * swapping a symlink, which changes the inode even when size and mtime happen to match.
 */
export class WatchedFile {
  readonly path: string;
  readonly #intervalMs: number;
  #content: string | undefined;
  #stamp = '';
  #checkedAt = Number.NEGATIVE_INFINITY;

  constructor(path: string, intervalMs = 1000) {
    this.path = path;
    this.#intervalMs = intervalMs;
  }

  async read(): Promise<string> {
    const now = Date.now();
    if (this.#content !== undefined && now - this.#checkedAt < this.#intervalMs) return this.#content;
    const stats = await stat(this.path);
    const stamp = `${stats.ino}:${stats.size}:${stats.mtimeMs}`;
    if (this.#content === undefined || stamp !== this.#stamp) {
      this.#content = await readFile(this.path, 'utf8');
      this.#stamp = stamp;
    }
    this.#checkedAt = now;
    return this.#content;
  }
}
