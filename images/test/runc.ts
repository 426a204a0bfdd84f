import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { exec, infraEnv } from '@girok/e2e/infra';

export interface RunResult {
  readonly status: number | null;
  readonly output: string;
}

/**
 * Unpacks an image from an OCI layout with umoci (an independent reader of our layers) into a
 * runtime bundle, whose config.json umoci derives from the image config (user, entrypoint, cwd).
 */
export async function unpack(layout: string, ref: string, bundle: string): Promise<void> {
  fs.rmSync(bundle, { recursive: true, force: true });
  await exec(infraEnv('UMOCI'), ['unpack', '--image', `${layout}:${ref}`, bundle]);
}

interface RuntimeSpec {
  process: { terminal: boolean; args: string[]; env: string[]; user: { uid: number; gid: number } };
  root: { path: string; readonly: boolean };
}

/** The spec umoci wrote, kept aside on first use so every run starts from it. */
function readSpec(bundle: string): RuntimeSpec {
  const pristine = path.join(bundle, 'config.umoci.json');
  if (!fs.existsSync(pristine)) fs.copyFileSync(path.join(bundle, 'config.json'), pristine);
  return JSON.parse(fs.readFileSync(pristine, 'utf8')) as RuntimeSpec;
}

/**
 * Runs the bundle with runc as the image says, the root file system read-only (as the Pods mount
 * it), optionally with other arguments or extra environment; returns the exit status and output.
 */
export function runBundle(
  bundle: string,
  id: string,
  change: { args?: string[]; env?: string[] } = {},
): RunResult {
  const spec = readSpec(bundle);
  spec.process.terminal = false;
  spec.root.readonly = true;
  if (change.args) spec.process.args = change.args;
  spec.process.env.push(...(change.env ?? []));
  fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(spec));
  // Node as the container's pid 1 ignores SIGTERM: a run that hangs is killed, then deleted.
  const result = spawnSync(infraEnv('RUNC'), ['run', '--bundle', bundle, id], {
    encoding: 'utf8',
    timeout: 60_000,
    killSignal: 'SIGKILL',
  });
  spawnSync(infraEnv('RUNC'), ['delete', '--force', id]);
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}
