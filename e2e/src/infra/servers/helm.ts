import path from 'node:path';
import { goInstall } from '../install/go.ts';
import { type ServerContext, type ServerDef, toolDir } from '../server.ts';
import { versions } from '../versions.ts';

const helmBinary = (ctx: ServerContext) => path.join(toolDir(ctx, 'helm', versions.helm), 'helm');

/** A tool rather than a server: installed and put in the environment, nothing to start. */
export const helm: ServerDef = {
  name: 'helm',
  summary: `Helm ${versions.helm} (Go module build)`,
  needs: [],
  ports: () => [],
  install: (ctx) =>
    goInstall(ctx.progress, {
      pkg: `helm.sh/helm/v3/cmd/helm@v${versions.helm}`,
      coldEstimate: 'about 1.5 min',
      binDir: toolDir(ctx, 'helm', versions.helm),
      binaries: ['helm'],
    }),
  env: (ctx) => ({ HELM: helmBinary(ctx) }),
};
