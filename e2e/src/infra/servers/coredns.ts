import fs from 'node:fs';
import path from 'node:path';
import { goInstall } from '../install/go.ts';
import { startDaemon, stopProcessGroup, tailFile, waitForReady } from '../proc.ts';
import { logFile, pidFile, type ServerContext, type ServerDef, serverDir, toolDir } from '../server.ts';
import { versions } from '../versions.ts';
import { resolveA } from './probes.ts';

const corednsBinary = (ctx: ServerContext) => path.join(toolDir(ctx, 'coredns', versions.coredns), 'coredns');
/** A hosts file the shared instance serves and re-reads every second: tests add names by writing it. */
const corednsHostsFile = (ctx: ServerContext) => path.join(serverDir(ctx, 'coredns'), 'hosts');

/** The name the harness itself serves, to know the server answers. */
const CANARY_NAME = 'infra.girok.test';

const corefile = (port: number, hostsFile: string) => `.:${port} {
    bind 127.0.0.1
    hosts ${hostsFile} {
        reload 1s
    }
    errors
}
`;

export const coredns: ServerDef = {
  name: 'coredns',
  summary: `CoreDNS ${versions.coredns} (Go module build)`,
  needs: [],
  externalVar: 'COREDNS_ADDR',
  ports: (ctx) => [ctx.config.ports.coredns],
  install: (ctx) =>
    goInstall(ctx.progress, {
      pkg: `github.com/coredns/coredns@v${versions.coredns}`,
      coldEstimate: 'about 3 min',
      binDir: toolDir(ctx, 'coredns', versions.coredns),
      binaries: ['coredns'],
    }),
  async start(ctx) {
    const dir = serverDir(ctx, 'coredns');
    fs.writeFileSync(corednsHostsFile(ctx), `127.0.0.1 ${CANARY_NAME}\n`);
    const conf = path.join(dir, 'Corefile');
    fs.writeFileSync(conf, corefile(ctx.config.ports.coredns, corednsHostsFile(ctx)));
    return startDaemon(corednsBinary(ctx), ['-conf', conf], {
      cwd: dir,
      logFile: logFile(ctx, 'coredns'),
      pidFile: pidFile(ctx, 'coredns'),
    });
  },
  ready: async (ctx) => (await resolveA(ctx.config.ports.coredns, CANARY_NAME)).includes('127.0.0.1'),
  env: (ctx) => ({
    COREDNS_ADDR: `127.0.0.1:${ctx.config.ports.coredns}`,
    COREDNS_BIN: corednsBinary(ctx),
    COREDNS_HOSTS_FILE: corednsHostsFile(ctx),
  }),
};

export interface CoreDnsInstance {
  readonly port: number;
  readonly pid: number;
  stop(): Promise<void>;
}

/**
 * Runs a CoreDNS of its own with the Corefile a test wrote (listening on `port`), until it answers
 * `probeName`. Suites that test generated CoreDNS config (the operator's snippet) use this.
 */
export async function startCoreDns(options: {
  binary: string;
  dir: string;
  corefile: string;
  probeName: string;
  port: number;
}): Promise<CoreDnsInstance> {
  fs.mkdirSync(options.dir, { recursive: true });
  const conf = path.join(options.dir, 'Corefile');
  const log = path.join(options.dir, 'coredns.log');
  fs.writeFileSync(conf, options.corefile);
  const pid = startDaemon(options.binary, ['-conf', conf], {
    cwd: options.dir,
    logFile: log,
    pidFile: path.join(options.dir, 'coredns.pid'),
  });
  const stop = () => stopProcessGroup(pid, 2000);
  try {
    await waitForReady(pid, async () => (await resolveA(options.port, options.probeName)).length > 0, 20_000);
  } catch (error) {
    await stop();
    throw new Error(`CoreDNS did not start: ${(error as Error).message}\n--- ${log} ---\n${tailFile(log)}`);
  }
  return { port: options.port, pid, stop };
}
