import fs from 'node:fs';
import path from 'node:path';
import { goInstall } from '../install/go.ts';
import { startDaemon } from '../proc.ts';
import { logFile, pidFile, type ServerContext, type ServerDef, serverDir, toolDir } from '../server.ts';
import { versions } from '../versions.ts';
import { httpGet } from './probes.ts';

const registryBinary = (ctx: ServerContext) =>
  path.join(toolDir(ctx, 'registry', versions.registry), 'registry');
const address = (ctx: ServerContext) => `127.0.0.1:${ctx.config.ports.registry}`;

// Plain HTTP on loopback: containerd and skopeo treat 127.0.0.0/8 registries as insecure-allowed.
const configYaml = (addr: string, storage: string) => `version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: ${storage}
  delete:
    enabled: true
http:
  addr: ${addr}
`;

export const registry: ServerDef = {
  name: 'registry',
  summary: `CNCF distribution registry ${versions.registry} (Go module build), plain HTTP`,
  needs: [],
  externalVar: 'REGISTRY_ADDR',
  ports: (ctx) => [ctx.config.ports.registry],
  install: (ctx) =>
    goInstall(ctx.progress, {
      pkg: `github.com/distribution/distribution/v3/cmd/registry@v${versions.registry}`,
      coldEstimate: 'about 3 min',
      binDir: toolDir(ctx, 'registry', versions.registry),
      binaries: ['registry'],
    }),
  async start(ctx) {
    const dir = serverDir(ctx, 'registry');
    const conf = path.join(dir, 'config.yml');
    fs.writeFileSync(conf, configYaml(address(ctx), path.join(dir, 'data')));
    return startDaemon(registryBinary(ctx), ['serve', conf], {
      cwd: dir,
      logFile: logFile(ctx, 'registry'),
      pidFile: pidFile(ctx, 'registry'),
    });
  },
  ready: async (ctx) => (await httpGet(`http://${address(ctx)}/v2/`))?.status === 200,
  env: (ctx) => ({ REGISTRY_ADDR: address(ctx) }),
};
