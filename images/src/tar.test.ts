import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type TarEntry, writeTar } from './tar.ts';

const longName = `app/${'deep/'.repeat(30)}file.js`;
const entries: TarEntry[] = [
  { type: 'file', path: 'app/b.js', mode: 0o644, data: Buffer.from('b') },
  { type: 'dir', path: 'home/nonroot', mode: 0o700, uid: 65532 },
  { type: 'symlink', path: 'app/link', target: '../elsewhere' },
  { type: 'file', path: longName, mode: 0o755, data: Buffer.from('long') },
  { type: 'dir', path: 'app', mode: 0o755 },
];

/** GNU tar's verbose listing of an archive: the reference reader. */
function listing(tar: Buffer): string[] {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'girok-tar-')), 'layer.tar');
  fs.writeFileSync(file, tar);
  try {
    return execFileSync('tar', ['--numeric-owner', '--full-time', '-tvf', file], {
      encoding: 'utf8',
      env: { ...process.env, TZ: 'UTC' },
    })
      .trim()
      .split('\n');
  } finally {
    fs.rmSync(path.dirname(file), { recursive: true });
  }
}

describe('writeTar', () => {
  it('writes the same bytes whatever the order of the entries', () => {
    expect(writeTar(entries, 0).equals(writeTar([...entries].reverse(), 0))).toBe(true);
  });

  it('gives GNU tar sorted entries with numeric owners, one mtime, long names and link targets intact', () => {
    const lines = listing(writeTar(entries, 1_700_000_000));
    expect(lines.map((l) => l.split(/\s+/).slice(5).join(' '))).toEqual([
      'app/',
      'app/b.js',
      `${longName}`,
      'app/link -> ../elsewhere',
      'home/nonroot/',
    ]);
    expect(lines[0]).toMatch(/^drwxr-xr-x 0\/0 +0 2023-11-14 22:13:20/);
    expect(lines[2]).toMatch(/^-rwxr-xr-x 0\/0 +4 /);
    expect(lines[4]).toMatch(/^drwx------ 65532\/65532 /);
  });

  it('refuses two entries for one path', () => {
    expect(() => writeTar([entries[0] as TarEntry, entries[0] as TarEntry], 0)).toThrow(
      'two entries for app/b.js',
    );
  });
});
