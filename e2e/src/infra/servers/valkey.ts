import { hostAddress } from '../config.ts';
import { ensureHostAddress } from '../host-address.ts';
import { ensureDebianPackages } from '../install/debian.ts';
import { startDaemon } from '../proc.ts';
import { logFile, pidFile, type ServerDef, serverDir } from '../server.ts';
import { respPing } from './probes.ts';

export const valkey: ServerDef = {
  name: 'valkey',
  summary: 'Valkey 8 (Debian bookworm-backports)',
  needs: [],
  externalVar: 'VALKEY_URL',
  ports: (ctx) => [ctx.config.ports.valkey],
  install: (ctx) =>
    ensureDebianPackages(ctx.progress, [
      { package: 'valkey-server', provides: '/usr/bin/valkey-server', backports: true },
    ]),
  async start(ctx) {
    await ensureHostAddress();
    return startDaemon(
      '/usr/bin/valkey-server',
      [
        '--bind',
        '127.0.0.1',
        hostAddress,
        // Listening on the host address (for Pods) is not exposure: it exists on lo only.
        '--protected-mode',
        'no',
        '--port',
        String(ctx.config.ports.valkey),
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        serverDir(ctx, 'valkey'),
      ],
      { logFile: logFile(ctx, 'valkey'), pidFile: pidFile(ctx, 'valkey') },
    );
  },
  ready: (ctx) => respPing(ctx.config.ports.valkey),
  env: (ctx) => ({ VALKEY_URL: `redis://127.0.0.1:${ctx.config.ports.valkey}` }),
};
