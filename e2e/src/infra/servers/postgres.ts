import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { hostAddress, podCidr } from '../config.ts';
import { ensureHostAddress } from '../host-address.ts';
import { ensureDebianPackages } from '../install/debian.ts';
import { exec, startDaemon } from '../proc.ts';
import { logFile, pidFile, type ServerContext, type ServerDef, serverDir } from '../server.ts';
import { versions } from '../versions.ts';

const bin = (name: string) => `/usr/lib/postgresql/${versions.postgres}/bin/${name}`;

/** PostgreSQL refuses to run as root; as root we run it as the Debian package's `postgres` user. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

const url = (ctx: ServerContext) => `postgres://postgres@127.0.0.1:${ctx.config.ports.postgres}/postgres`;

export const postgres: ServerDef = {
  name: 'postgres',
  summary: `PostgreSQL ${versions.postgres} (Debian)`,
  needs: [],
  externalVar: 'DATABASE_URL',
  ports: (ctx) => [ctx.config.ports.postgres],
  install: (ctx) =>
    ensureDebianPackages(ctx.progress, [
      { package: `postgresql-${versions.postgres}`, provides: bin('postgres') },
    ]),
  async start(ctx) {
    const dir = serverDir(ctx, 'postgres');
    const data = path.join(dir, 'data');
    const user = runAs();
    if (user) fs.chownSync(dir, user.uid, user.gid);
    // A resumed server keeps its cluster (Infra.resume); a fresh one is initialised.
    if (!fs.existsSync(path.join(data, 'PG_VERSION')))
      await exec(
        bin('initdb'),
        ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C'],
        {
          ...user,
          logFile: logFile(ctx, 'postgres'),
        },
      );
    // Pods on the real node connect from their own addresses to the host address.
    const hba = path.join(data, 'pg_hba.conf');
    const podRule = `host all all ${podCidr} trust\nhost all all ${hostAddress}/32 trust\n`;
    if (!fs.readFileSync(hba, 'utf8').includes(podRule)) fs.appendFileSync(hba, podRule);
    await ensureHostAddress();
    // Durability is traded for speed: this server holds test data only.
    return startDaemon(
      bin('postgres'),
      [
        '-D',
        data,
        '-p',
        String(ctx.config.ports.postgres),
        '-h',
        `127.0.0.1,${hostAddress}`,
        '-k',
        dir,
        '-c',
        'fsync=off',
        '-c',
        'synchronous_commit=off',
        '-c',
        'full_page_writes=off',
        '-c',
        'max_connections=300',
      ],
      { ...user, logFile: logFile(ctx, 'postgres'), pidFile: pidFile(ctx, 'postgres') },
    );
  },
  // Fast shutdown: sessions are cut at once (SIGTERM would wait for every client to leave).
  stopSignal: 'SIGINT',
  async ready(ctx) {
    const client = new pg.Client({ connectionString: url(ctx), connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      const result = await client.query<{ one: number }>('SELECT 1 AS one');
      return result.rows[0]?.one === 1;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => {});
    }
  },
  env: (ctx) => ({ DATABASE_URL: url(ctx) }),
};
