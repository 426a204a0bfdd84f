import fs from 'node:fs';
import path from 'node:path';
import { exec } from '../proc.ts';
import type { Progress } from '../progress.ts';

/** Go never downloads a toolchain here (no network but the registries); modules come from the proxy. */
export const goEnv = (): NodeJS.ProcessEnv => ({
  ...process.env,
  GOTOOLCHAIN: 'local',
  CGO_ENABLED: '0',
  GOFLAGS: '-mod=mod',
});

const allPresent = (dir: string, binaries: readonly string[]) =>
  binaries.every((b) => fs.existsSync(path.join(dir, b)));

async function requireGo(what: string): Promise<void> {
  try {
    await exec('go', ['version']);
  } catch {
    throw new Error(
      `building ${what} needs Go >= 1.26 on PATH (Debian: apt-get install golang-1.26, or the official tarball)`,
    );
  }
}

export interface GoInstall {
  /** Package path with version, e.g. sigs.k8s.io/kwok/cmd/kwok@v0.8.0 */
  readonly pkg: string;
  readonly coldEstimate: string;
  readonly binDir: string;
  readonly binaries: readonly string[];
}

/** `go install pkg@version` into a versioned folder of the cache; skipped when the binaries are there. */
export async function goInstall(progress: Progress, spec: GoInstall): Promise<void> {
  if (allPresent(spec.binDir, spec.binaries)) return;
  await requireGo(spec.pkg);
  fs.mkdirSync(spec.binDir, { recursive: true });
  const logFile = path.join(spec.binDir, 'build.log');
  await progress.step(`building ${spec.pkg} (go install; ${spec.coldEstimate} on 2 cores when cold)`, () =>
    exec('go', ['install', '-ldflags=-s -w', spec.pkg], { env: { ...goEnv(), GOBIN: spec.binDir }, logFile }),
  );
}

export interface GoWrapperBuild {
  readonly what: string;
  /** How long a cold build takes on 2 cores, shown with the progress (e.g. "about 8 min"). */
  readonly coldEstimate: string;
  /** Folder of the throw-away wrapper module. */
  readonly workDir: string;
  readonly goMod: string;
  readonly packages: readonly string[];
  readonly ldflags: string;
  /** Build tags, e.g. to leave out parts that need cgo. */
  readonly tags?: readonly string[];
  readonly binDir: string;
  readonly binaries: readonly string[];
}

/**
 * Builds commands of a module that `go install` refuses (its go.mod has replace directives) by
 * requiring it from a small wrapper module of our own.
 */
export async function goBuildWrapper(progress: Progress, spec: GoWrapperBuild): Promise<void> {
  if (allPresent(spec.binDir, spec.binaries)) return;
  await requireGo(spec.what);
  fs.mkdirSync(spec.workDir, { recursive: true });
  fs.mkdirSync(spec.binDir, { recursive: true });
  fs.writeFileSync(path.join(spec.workDir, 'go.mod'), spec.goMod);
  const logFile = path.join(spec.binDir, 'build.log');
  const options = { cwd: spec.workDir, env: goEnv(), logFile };
  await progress.step(`downloading Go modules for ${spec.what}`, () =>
    exec('go', ['mod', 'download'], options),
  );
  await progress.step(`building ${spec.what} (go build; ${spec.coldEstimate} on 2 cores when cold)`, () =>
    exec(
      'go',
      [
        'build',
        '-ldflags',
        spec.ldflags,
        ...(spec.tags?.length ? ['-tags', spec.tags.join(' ')] : []),
        '-o',
        output(spec),
        ...spec.packages,
      ],
      options,
    ),
  );
}

// One package builds to the binary's own name (etcd's main package path ends in /v3); several to the folder.
const output = (spec: GoWrapperBuild) =>
  spec.packages.length === 1 && spec.binaries.length === 1
    ? path.join(spec.binDir, spec.binaries[0] ?? '')
    : `${spec.binDir}/`;

/** The folder of a module in the Go module cache (downloading it if needed). */
export async function goModuleDir(moduleAtVersion: string): Promise<string> {
  const out = await exec('go', ['mod', 'download', '-json', moduleAtVersion], { env: goEnv() });
  const dir = (JSON.parse(out) as { Dir?: string }).Dir;
  if (!dir) throw new Error(`go mod download ${moduleAtVersion} reported no folder`);
  return dir;
}
