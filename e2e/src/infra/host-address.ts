import { hostAddress } from './config.ts';
import { exec } from './proc.ts';

/** Adds the host address to `lo` unless it is there (idempotent): Pods reach host processes at it. */
export async function ensureHostAddress(): Promise<void> {
  const shown = await exec('ip', ['-4', 'addr', 'show', 'dev', 'lo']);
  if (shown.includes(`inet ${hostAddress}/`)) return;
  await exec('ip', ['addr', 'add', `${hostAddress}/32`, 'dev', 'lo']);
}
