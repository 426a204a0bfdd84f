import { hostAddress } from './config.ts';
import { exec } from './proc.ts';

let present = false;

/**
 * Puts the host address (10.250.0.1/32) on `lo`, once per boot: the servers Pods use listen on it,
 * and Pods on the real node reach it through the CNI bridge. Idempotent; adding it needs root.
 */
export async function ensureHostAddress(): Promise<void> {
  if (present) return;
  if (!(await onLo())) {
    if (process.getuid?.() !== 0)
      throw new Error(
        `the host address ${hostAddress} is not on lo: run \`sudo ip addr add ${hostAddress}/32 dev lo\` once, then retry`,
      );
    // Another harness may add it at the same moment; then `ip` says it exists, which is fine.
    await exec('ip', ['addr', 'add', `${hostAddress}/32`, 'dev', 'lo']).catch(async (error: unknown) => {
      if (!(await onLo())) throw error;
    });
  }
  present = true;
}

const onLo = async () =>
  (await exec('ip', ['-4', 'addr', 'show', 'dev', 'lo'])).includes(`inet ${hostAddress}/32`);
