import fs from 'node:fs';
import path from 'node:path';
import { type ImageDef, workspaceRuntime } from './catalogue.ts';
import type { TarEntry } from './tar.ts';
import { merged, treeEntries, withParents } from './tree.ts';

/** Where the application lives inside every image. */
export const APP_DIR = '/app';

interface LockPackage {
  readonly link?: boolean;
  /** Needed only by devDependencies (`dev`), or by them and as someone's optional dependency (`devOptional`). */
  readonly dev?: boolean;
  readonly devOptional?: boolean;
  readonly resolved?: string;
  readonly dependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}
export interface Lockfile {
  readonly packages: Readonly<Record<string, LockPackage>>;
}

export interface Closure {
  /** Install locations (`node_modules/x`, `services/kit`) of everything the workspace needs at run time. */
  readonly packages: readonly string[];
  /** Workspace links: `node_modules/@girok/kit` → `services/kit`. */
  readonly links: ReadonlyMap<string, string>;
}

/**
 * The production dependency closure of a workspace, read from package-lock.json the way Node
 * resolves: from a package's folder up through every enclosing node_modules. devDependencies are
 * never followed; optional ones that npm did not install for this platform are skipped.
 */
export function productionClosure(
  lock: Lockfile,
  workspace: string,
  installed: (location: string) => boolean,
): Closure {
  const packages = new Set<string>();
  const links = new Map<string, string>();
  const queue = [workspace];
  while (queue.length > 0) {
    const location = queue.shift() ?? '';
    if (packages.has(location) || links.has(location)) continue;
    const entry = lock.packages[location];
    if (!entry) throw new Error(`package-lock.json has no entry ${location}`);
    if (entry.link) {
      links.set(location, entry.resolved ?? '');
      queue.push(entry.resolved ?? '');
      continue;
    }
    packages.add(location);
    const optional = new Set([
      ...Object.keys(entry.optionalDependencies ?? {}),
      ...Object.entries(entry.peerDependenciesMeta ?? {})
        .filter(([, meta]) => meta.optional)
        .map(([name]) => name),
    ]);
    const names = new Set([
      ...Object.keys(entry.dependencies ?? {}),
      ...Object.keys(entry.optionalDependencies ?? {}),
      ...Object.keys(entry.peerDependencies ?? {}),
    ]);
    for (const name of [...names].sort()) {
      const found = resolveFrom(lock, location, name);
      const entryFound = found ? lock.packages[found] : undefined;
      // An optional package installed only for the tooling (typescript, an optional peer of
      // @nestjs/graphql's compiler plugin) is left out, as `npm ci --omit=dev` would.
      if (optional.has(name) && (entryFound?.dev || entryFound?.devOptional)) continue;
      if (found && installed(found)) queue.push(found);
      else if (!optional.has(name)) {
        throw new Error(`${location || 'the root'} needs ${name}, which is not installed: run \`npm ci\``);
      }
    }
  }
  return { packages: [...packages].sort(), links };
}

/** Node's lookup: <dir>/node_modules/<name> for the package's folder and each folder above it. */
function resolveFrom(lock: Lockfile, location: string, name: string): string | undefined {
  for (let dir = location; ; dir = path.posix.dirname(dir)) {
    if (dir === '.') dir = '';
    if (path.posix.basename(dir) !== 'node_modules') {
      const candidate = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
      if (lock.packages[candidate]) return candidate;
    }
    if (dir === '') return undefined;
  }
}

/** Type declarations, source maps and tests: nothing the process reads. */
const notRuntime = /(\.d\.[cm]?ts|\.map|\.tsbuildinfo)$/;
const testFile = /\.test\.[cm]?[jt]s$/;

/** The app layer of one image: its workspace, the workspaces it uses, and their production dependencies. */
export function appEntries(repoRoot: string, lock: Lockfile, image: ImageDef): TarEntry[] {
  const closure = productionClosure(lock, image.workspace, (location) =>
    fs.existsSync(path.join(repoRoot, location)),
  );
  const entries = closure.packages.flatMap((location) =>
    location.startsWith('node_modules/') || location.includes('/node_modules/')
      ? installedPackage(repoRoot, location)
      : workspacePackage(repoRoot, location),
  );
  const app = APP_DIR.slice(1);
  for (const [link, target] of closure.links) {
    const at = `${app}/${link}`;
    entries.push({
      type: 'symlink',
      path: at,
      target: path.posix.relative(path.posix.dirname(at), `${app}/${target}`),
    });
  }
  return merged(withParents(entries));
}

/** An npm package, whole but for its types and maps; a nested node_modules is a closure entry of its own. */
function installedPackage(repoRoot: string, location: string): TarEntry[] {
  const into = `${APP_DIR.slice(1)}/${location}`;
  return [
    { type: 'dir', path: into, mode: 0o755 },
    ...treeEntries(
      path.join(repoRoot, location),
      into,
      (rel) => rel !== 'node_modules' && !notRuntime.test(rel),
    ),
  ];
}

/** A workspace package: its package.json and the folders that run (catalogue.ts), without tests. */
function workspacePackage(repoRoot: string, location: string): TarEntry[] {
  const runtime = workspaceRuntime[location];
  if (!runtime) {
    throw new Error(
      `the workspace ${location} has no runtime folders in images/src/catalogue.ts (workspaceRuntime)`,
    );
  }
  const from = path.join(repoRoot, location);
  const into = `${APP_DIR.slice(1)}/${location}`;
  const entries: TarEntry[] = [
    {
      type: 'file',
      path: `${into}/package.json`,
      mode: 0o644,
      data: fs.readFileSync(path.join(from, 'package.json')),
    },
  ];
  for (const folder of runtime) {
    if (!fs.existsSync(path.join(from, folder))) {
      throw new Error(`${location}/${folder} is missing: run \`npm run build\` (./girok images does) first`);
    }
    entries.push(
      ...treeEntries(
        path.join(from, folder),
        `${into}/${folder}`,
        (rel) => !notRuntime.test(rel) && !testFile.test(rel),
      ),
    );
  }
  return entries;
}
