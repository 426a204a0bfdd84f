import fs from 'node:fs';
import path from 'node:path';
import { hostAddress, podCidr } from '../config.ts';
import { ensureHostAddress } from '../host-address.ts';
import { ensureDebianPackages } from '../install/debian.ts';
import { startDaemon } from '../proc.ts';
import { logFile, pidFile, type ServerDef, serverDir } from '../server.ts';
import { httpGet } from './probes.ts';

const SERVER = '/usr/sbin/clickhouse-server';

// Debian bookworm ships ClickHouse 18.16 (the only ClickHouse server the package registries carry;
// see ADR 0003 for what that version lacks). The config names only what a test server needs.
const config = (dir: string, httpPort: number, tcpPort: number) => `<yandex>
  <logger><level>warning</level><console>1</console></logger>
  <http_port>${httpPort}</http_port>
  <tcp_port>${tcpPort}</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <listen_host>${hostAddress}</listen_host>
  <path>${dir}/data/</path>
  <tmp_path>${dir}/data/tmp/</tmp_path>
  <user_files_path>${dir}/data/user_files/</user_files_path>
  <format_schema_path>${dir}/data/format_schemas/</format_schema_path>
  <users_config>${dir}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>268435456</mark_cache_size>
</yandex>
`;

const users = `<yandex>
  <profiles><default/></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip><ip>${hostAddress}</ip><ip>${podCidr}</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default/></quotas>
</yandex>
`;

export const clickhouse: ServerDef = {
  name: 'clickhouse',
  summary: 'ClickHouse 18.16 (Debian)',
  needs: [],
  externalVar: 'CLICKHOUSE_URL',
  ports: (ctx) => [ctx.config.ports.clickhouseHttp, ctx.config.ports.clickhouseTcp],
  install: (ctx) => ensureDebianPackages(ctx.progress, [{ package: 'clickhouse-server', provides: SERVER }]),
  async start(ctx) {
    const dir = serverDir(ctx, 'clickhouse');
    fs.writeFileSync(
      path.join(dir, 'config.xml'),
      config(dir, ctx.config.ports.clickhouseHttp, ctx.config.ports.clickhouseTcp),
    );
    fs.writeFileSync(path.join(dir, 'users.xml'), users);
    await ensureHostAddress();
    return startDaemon(SERVER, [`--config-file=${path.join(dir, 'config.xml')}`], {
      cwd: dir,
      logFile: logFile(ctx, 'clickhouse'),
      pidFile: pidFile(ctx, 'clickhouse'),
    });
  },
  async ready(ctx) {
    const answer = await httpGet(`http://127.0.0.1:${ctx.config.ports.clickhouseHttp}/?query=SELECT%201`);
    return answer?.status === 200 && answer.body.trim() === '1';
  },
  env: (ctx) => ({ CLICKHOUSE_URL: `http://127.0.0.1:${ctx.config.ports.clickhouseHttp}` }),
};
