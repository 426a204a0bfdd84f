import fs from 'node:fs';
import { exec } from '../proc.ts';
import type { Progress } from '../progress.ts';

export interface DebianPackage {
  readonly package: string;
  /** A file the package installs; its presence means the package is there. */
  readonly provides: string;
  /** Comes from bookworm-backports (e.g. valkey-server 8). */
  readonly backports?: boolean;
}

const BACKPORTS_LIST = '/etc/apt/sources.list.d/girok-bookworm-backports.list';
let aptUpdated = false;

/** Installs the Debian packages whose files are missing (needs root, as on CI and the dev machines). */
export async function ensureDebianPackages(
  progress: Progress,
  packages: readonly DebianPackage[],
): Promise<void> {
  const missing = packages.filter((p) => !fs.existsSync(p.provides));
  if (missing.length === 0) return;
  const names = missing.map((p) => p.package).join(' ');
  if (!fs.existsSync('/usr/bin/apt-get')) {
    throw new Error(
      `missing ${missing.map((p) => p.provides).join(', ')}: install the packages ${names} (Debian bookworm names), or point the matching *_URL variable at a running server`,
    );
  }
  if (process.getuid?.() !== 0) {
    throw new Error(
      `missing ${missing.map((p) => p.provides).join(', ')}: run \`sudo apt-get install ${names}\` once, then retry`,
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (missing.some((p) => p.backports) && !fs.existsSync(BACKPORTS_LIST)) {
    fs.writeFileSync(BACKPORTS_LIST, 'deb http://deb.debian.org/debian bookworm-backports main\n');
    aptUpdated = false;
  }
  if (!aptUpdated) {
    await progress.step('apt-get update', () => exec('apt-get', ['update', '-qq'], { env }));
    aptUpdated = true;
  }
  for (const backports of [false, true]) {
    const group = missing.filter((p) => Boolean(p.backports) === backports).map((p) => p.package);
    if (group.length === 0) continue;
    const target = backports ? ['-t', 'bookworm-backports'] : [];
    await progress.step(`apt-get install ${group.join(' ')}`, () =>
      exec('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...target, ...group], { env }),
    );
  }
}
