import fs from 'node:fs';
import path from 'node:path';
import type { TarEntry } from './tar.ts';

/**
 * The entries of a folder, placed under `into` inside the image. Modes are normalised (0755 for
 * folders and owner-executable files, else 0644) so a checkout's umask cannot change a digest.
 * `keep` sees paths relative to `from` ('lib/x.js'); a folder it rejects is not entered.
 */
export function treeEntries(
  from: string,
  into: string,
  keep: (relative: string) => boolean = () => true,
): TarEntry[] {
  const entries: TarEntry[] = [];
  const walk = (relative: string) => {
    for (const name of fs.readdirSync(path.join(from, relative))) {
      const rel = relative ? `${relative}/${name}` : name;
      if (!keep(rel)) continue;
      const source = path.join(from, rel);
      const target = into ? `${into}/${rel}` : rel;
      const stat = fs.lstatSync(source);
      if (stat.isSymbolicLink())
        entries.push({ type: 'symlink', path: target, target: fs.readlinkSync(source) });
      else if (stat.isDirectory()) {
        entries.push({ type: 'dir', path: target, mode: 0o755 });
        walk(rel);
      } else if (stat.isFile()) {
        entries.push({
          type: 'file',
          path: target,
          mode: stat.mode & 0o100 ? 0o755 : 0o644,
          data: fs.readFileSync(source),
        });
      }
    }
  };
  walk('');
  return entries;
}

/** Folder entries for every ancestor of the given paths that has none yet (tar readers expect them). */
export function withParents(entries: readonly TarEntry[]): TarEntry[] {
  const present = new Set(entries.map((e) => e.path));
  const added: TarEntry[] = [];
  for (const entry of entries) {
    for (
      let dir = path.posix.dirname(entry.path);
      dir !== '.' && !present.has(dir);
      dir = path.posix.dirname(dir)
    ) {
      present.add(dir);
      added.push({ type: 'dir', path: dir, mode: 0o755 });
    }
  }
  return [...entries, ...added];
}

/** One entry per path: a folder listed twice keeps its last settings; a file listed twice is an error. */
export function merged(entries: readonly TarEntry[]): TarEntry[] {
  const byPath = new Map<string, TarEntry>();
  for (const entry of entries) {
    const before = byPath.get(entry.path);
    if (before && (before.type !== 'dir' || entry.type !== 'dir')) {
      throw new Error(`two sources put ${entry.path} into one layer`);
    }
    byPath.set(entry.path, entry);
  }
  return [...byPath.values()];
}
