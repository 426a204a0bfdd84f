import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostAddress, podCidr } from '../../src/infra/config.ts';
import { infraEnv } from '../../src/infra/infra-env.ts';
import { exec } from '../../src/infra/proc.ts';

const until = async <T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 45_000,
): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
};

describe('the real node: Pods run, Services route through kube-proxy, cluster DNS answers, the host address is reachable', () => {
  const suffix = randomUUID().slice(0, 8);
  const ns = `node-${suffix}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'girok-node-test-'));
  const kubectl = (...args: string[]) =>
    exec(infraEnv('KUBECTL'), ['--kubeconfig', infraEnv('KUBECONFIG'), ...args]);
  const apply = async (name: string, yaml: string, ...flags: string[]) => {
    const file = path.join(dir, `${name}.yaml`);
    fs.writeFileSync(file, yaml);
    return kubectl('apply', ...flags, '-f', file);
  };
  /** Runs a command in the client Pod (busybox; its wget crashes on -T, so no timeouts there) and returns what it printed. */
  const inClient = (...command: string[]) => kubectl('-n', ns, 'exec', 'client', '--', ...command);
  const image = () => infraEnv('NODE_BUSYBOX_IMAGE');
  const dnsKey = `node-test-${suffix}.override`;
  /** This suite's key of the shared ConfigMap, applied server-side so other keys stay; none removes it. */
  const dnsRules = (rule?: string) => `apiVersion: v1
kind: ConfigMap
metadata: { name: coredns-custom, namespace: kube-system }
${rule === undefined ? '' : `data:\n  ${dnsKey}: |\n    ${rule}\n`}`;

  beforeAll(async () => {
    await kubectl('create', 'namespace', ns);
    // httpd serves one page naming its Pod; the client only sleeps and is exec'ed into.
    await apply(
      'workload',
      `apiVersion: v1
kind: Pod
metadata: { name: web, namespace: ${ns}, labels: { app: web } }
spec:
  containers:
  - name: httpd
    image: ${image()}
    imagePullPolicy: Never
    command: [/bin/sh, -c, 'mkdir -p /www && echo "hello from $(hostname)" > /www/index.html && exec httpd -f -p 8080 -h /www']
    readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 }
---
apiVersion: v1
kind: Service
metadata: { name: web, namespace: ${ns} }
spec:
  selector: { app: web }
  ports: [{ port: 80, targetPort: 8080 }]
---
apiVersion: v1
kind: Pod
metadata: { name: client, namespace: ${ns} }
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - { name: client, image: ${image()}, imagePullPolicy: Never, command: [sleep, '3600'] }
`,
    );
    await kubectl('-n', ns, 'wait', '--for=condition=Ready', 'pod/web', 'pod/client', '--timeout=60s');
  });

  afterAll(async () => {
    await apply('dns-rules-removed', dnsRules(), '--server-side', '--field-manager', dnsKey).catch(() => {});
    await kubectl('delete', 'namespace', ns, '--wait=false').catch(() => {});
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('registers the node Ready, with the host address as its InternalIP', async () => {
    const node = JSON.parse(await kubectl('get', 'node', infraEnv('NODE_NAME'), '-o', 'json')) as {
      status: {
        conditions: { type: string; status: string }[];
        addresses: { type: string; address: string }[];
      };
    };
    expect(node.status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(node.status.addresses).toContainEqual({ type: 'InternalIP', address: hostAddress });
  });

  it('runs a Pod from a locally imported image, with an address from the Pod range', async () => {
    const pod = JSON.parse(await kubectl('-n', ns, 'get', 'pod', 'web', '-o', 'json')) as {
      spec: { nodeName: string };
      status: { phase: string; podIP: string };
    };
    expect(pod.spec.nodeName).toBe(infraEnv('NODE_NAME'));
    expect(pod.status.phase).toBe('Running');
    const prefix = podCidr.split('.').slice(0, 2).join('.');
    expect(pod.status.podIP.startsWith(`${prefix}.`)).toBe(true);
  });

  it('routes a ClusterIP Service to the Pod through kube-proxy, from the host and from another Pod', async () => {
    const clusterIp = await kubectl('-n', ns, 'get', 'service', 'web', '-o', 'jsonpath={.spec.clusterIP}');
    expect(clusterIp).toMatch(/^10\.96\./);
    const fromHost = await until('the Service from the host', async () => {
      const response = await fetch(`http://${clusterIp}/`, { signal: AbortSignal.timeout(2000) });
      return response.ok ? response.text() : undefined;
    });
    expect(fromHost.trim()).toBe('hello from web');
    expect((await inClient('wget', '-qO-', `http://${clusterIp}/`)).trim()).toBe('hello from web');
  });

  it('resolves Service names through the cluster DNS, and the names a coredns-custom rewrite adds', async () => {
    const apiserver = await inClient('nslookup', 'kubernetes.default.svc.cluster.local');
    expect(apiserver).toMatch(/Address: 10\.96\.0\.1\b/);
    // The Pod's search path (set by the kubelet) makes the short name work too.
    expect((await inClient('wget', '-qO-', 'http://web/')).trim()).toBe('hello from web');

    const clusterIp = await kubectl('-n', ns, 'get', 'service', 'web', '-o', 'jsonpath={.spec.clusterIP}');
    const name = `web.svc-node${suffix}.girok.test`;
    await apply(
      'dns-rules',
      dnsRules(`rewrite stop name exact ${name} web.${ns}.svc.cluster.local answer auto`),
      '--server-side',
      '--field-manager',
      dnsKey,
    );
    // The kubelet refreshes the mounted ConfigMap and CoreDNS's reload picks the rule up.
    const answer = await until('the rewritten name to resolve', async () => {
      const out = await inClient('nslookup', name);
      return out.includes(clusterIp) ? out : undefined;
    });
    expect(answer).toContain(`Address: ${clusterIp}`);
  });

  it('reaches PostgreSQL at the host address from a Pod', async () => {
    const port = new URL(infraEnv('DATABASE_URL')).port;
    // An SSLRequest: PostgreSQL (without TLS) answers with the single byte "N".
    const reply = await inClient(
      'sh',
      '-c',
      `printf '\\000\\000\\000\\010\\004\\322\\026\\057' | nc -w 3 ${hostAddress} ${port}`,
    );
    expect(reply).toBe('N');
  });
});
