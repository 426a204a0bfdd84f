import path from 'node:path';
import { goInstall } from '../install/go.ts';
import { type ServerContext, type ServerDef, toolDir } from '../server.ts';
import { versions } from '../versions.ts';

const glua = (ctx: ServerContext) => path.join(toolDir(ctx, 'gopher-lua', versions.gopherLua), 'glua');

/**
 * A tool: gopher-lua's `glua`, the Lua (5.1) interpreter Argo CD runs health checks with, at the
 * version Argo CD requires, so a health script is tested by the engine that will run it.
 */
export const lua: ServerDef = {
  name: 'lua',
  summary: `gopher-lua ${versions.gopherLua} (Go module build), for Argo CD health checks`,
  needs: [],
  ports: () => [],
  install: (ctx) =>
    goInstall(ctx.progress, {
      pkg: `github.com/yuin/gopher-lua/cmd/glua@v${versions.gopherLua}`,
      coldEstimate: 'about 30 s',
      binDir: toolDir(ctx, 'gopher-lua', versions.gopherLua),
      binaries: ['glua'],
    }),
  env: (ctx) => ({ LUA: glua(ctx) }),
};
