import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadInfraConfig, type Progress, stderrProgress } from '@girok/e2e/infra';
import type { BuildOptions } from './build.ts';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** The settings `./girok images` uses: output in .girok/images, caches in GIROK_CACHE_DIR. */
export function defaultBuildOptions(
  env: NodeJS.ProcessEnv = process.env,
  progress: Progress = stderrProgress(),
): BuildOptions {
  const epoch = env.SOURCE_DATE_EPOCH ?? '0';
  const mtime = Number(epoch);
  if (!Number.isInteger(mtime) || mtime < 0)
    throw new Error(`SOURCE_DATE_EPOCH must be whole seconds, got "${epoch}"`);
  return {
    repoRoot,
    outDir: path.join(repoRoot, '.girok', 'images'),
    girokCacheDir: loadInfraConfig(env).cacheDir,
    nodeVersion: process.versions.node,
    mtime,
    progress,
  };
}
