import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DomainError } from '../errors/domain-error.ts';
import { FileTokenSource } from './file-token-source.ts';

describe('FileTokenSource', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'file-token-source-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Replaces the file the way the kubelet's atomic writer does: a new file swapped in. */
  const rotate = async (file: string, content: string) => {
    await writeFile(`${file}.new`, content);
    await rename(`${file}.new`, file);
  };

  it('reads the token again after the kubelet rotates the file, looking at most once a second', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const file = path.join(dir, 'token');
    await rotate(file, 'first-token\n');
    const source = new FileTokenSource(file);
    expect(await source.token()).toBe('first-token');
    await rotate(file, 'second-token\n');
    expect(await source.token()).toBe('first-token');
    vi.advanceTimersByTime(1001);
    expect(await source.token()).toBe('second-token');
    vi.advanceTimersByTime(1001);
    expect(await source.token()).toBe('second-token');
  });

  it('fails naming the path and what to do when the file is missing or empty', async () => {
    const missing = path.join(dir, 'missing');
    const error = await new FileTokenSource(missing).token().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ kind: 'UNAVAILABLE', code: 'WORKLOAD_TOKEN_UNAVAILABLE' });
    expect((error as DomainError).message).toContain(missing);
    expect((error as DomainError).message).toMatch(/ENOENT.*mount the projected ServiceAccount token there/);

    const empty = path.join(dir, 'empty');
    await writeFile(empty, '\n');
    const emptyError = await new FileTokenSource(empty).token().catch((e: unknown) => e);
    expect(emptyError).toMatchObject({ code: 'WORKLOAD_TOKEN_UNAVAILABLE' });
    expect((emptyError as DomainError).message).toContain(`${empty} is empty`);
  });
});
