import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { infraEnv } from '../../src/infra/infra-env.ts';
import { freePort } from '../../src/infra/proc.ts';
import { startCoreDns } from '../../src/infra/servers/coredns.ts';
import { resolveA } from '../../src/infra/servers/probes.ts';

const zone = (origin: string) => `$ORIGIN ${origin}.
@       3600 IN SOA ns.${origin}. admin.${origin}. 2026112501 7200 3600 1209600 3600
@       3600 IN NS  ns.${origin}.
ns      3600 IN A   127.0.0.1
identity 30  IN A   10.96.0.10
`;

describe('CoreDNS', () => {
  it('answers names from a Corefile and zone the test writes', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'girok-coredns-'));
    const port = await freePort();
    fs.writeFileSync(path.join(dir, 'db.svc-dev'), zone('svc-dev.girok.test'));
    const coredns = await startCoreDns({
      binary: infraEnv('COREDNS_BIN'),
      dir,
      port,
      probeName: 'ns.svc-dev.girok.test',
      corefile: `svc-dev.girok.test:${port} {\n    bind 127.0.0.1\n    file ${path.join(dir, 'db.svc-dev')}\n}\n`,
    });
    try {
      expect(await resolveA(port, 'identity.svc-dev.girok.test')).toEqual(['10.96.0.10']);
      expect(await resolveA(port, 'missing.svc-dev.girok.test')).toEqual([]);
    } finally {
      await coredns.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the shared instance serves a name the test adds to its hosts file within seconds', async () => {
    const [host, port] = infraEnv('COREDNS_ADDR').split(':');
    expect(host).toBe('127.0.0.1');
    const name = `smoke-${randomUUID().slice(0, 8)}.girok.test`;
    fs.appendFileSync(infraEnv('COREDNS_HOSTS_FILE'), `10.1.2.3 ${name}\n`);
    const deadline = Date.now() + 10_000;
    let answer: string[] = [];
    while (Date.now() < deadline && answer.length === 0) {
      answer = await resolveA(Number(port), name);
      if (answer.length === 0) await new Promise((r) => setTimeout(r, 200));
    }
    expect(answer).toEqual(['10.1.2.3']);
  });
});
