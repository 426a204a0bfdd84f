import { ensureDebianPackages } from '../install/debian.ts';
import type { ServerDef } from '../server.ts';

const LUA = '/usr/bin/lua5.4';

/** A tool: Lua 5.4 runs the Argo CD health check scripts the way Argo CD's gopher-lua would. */
export const lua: ServerDef = {
  name: 'lua',
  summary: 'Lua 5.4 (Debian), for Argo CD health checks',
  needs: [],
  ports: () => [],
  install: (ctx) => ensureDebianPackages(ctx.progress, [{ package: 'lua5.4', provides: LUA }]),
  env: () => ({ LUA }),
};
