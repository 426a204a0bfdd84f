import fs from 'node:fs';
import path from 'node:path';
import { clusterDnsIp, hostAddress, podCidr } from '../config.ts';
import { ensureHostAddress } from '../host-address.ts';
import { ensureDebianPackages } from '../install/debian.ts';
import { goBuildWrapper, goInstall } from '../install/go.ts';
import { writeOciArchive } from '../oci.ts';
import { exec, startDaemon } from '../proc.ts';
import { logFile, pidFile, type ServerContext, type ServerDef, serverDir, toolDir } from '../server.ts';
import { versions } from '../versions.ts';
import { coredns } from './coredns.ts';
import { adminToken, apiUrl, buildKubernetes, k8sBin, kubeconfigPath } from './kube.ts';
import { httpGet, httpsGetInsecure } from './probes.ts';

// A real node beside the kwok one: containerd (+ runc, CNI bridge) runs the Pods, the kubelet
// registers the node, kube-proxy routes Services with iptables, and a CoreDNS Pod serves the
// cluster's names. See docs/adr/0018-real-node.md.

export const NODE_NAME = 'girok-node';
/** The image of the Pod sandbox and of simple test Pods: Debian's static busybox, sleeping by default. */
export const BUSYBOX_IMAGE = 'girok.test/busybox:bookworm';
const COREDNS_IMAGE = `girok.test/coredns:${versions.coredns}`;
/** The Linux bridge Pods hang off; its address (the Pods' gateway) is the range's first one. */
const BRIDGE = 'girok0';
/** The plain-HTTP registry the cluster pulls the platform's images from (the `registry` server). */
const REGISTRY = '127.0.0.1:15000';

const RUNC = '/usr/sbin/runc';
const containerdDir = (ctx: ServerContext) => serverDir(ctx, 'containerd');
const containerdBin = (ctx: ServerContext, name: string) =>
  path.join(toolDir(ctx, 'containerd', versions.containerd), name);
const cniBinDir = (ctx: ServerContext) => toolDir(ctx, 'cni-plugins', versions.cniPlugins);
const socket = (ctx: ServerContext) => path.join(containerdDir(ctx), 'containerd.sock');
const imagesDir = (ctx: ServerContext) => toolDir(ctx, 'node-images', versions.coredns);
const kubeletDir = (ctx: ServerContext) => serverDir(ctx, 'kubelet');

const ctr = (ctx: ServerContext, args: readonly string[]) =>
  exec(containerdBin(ctx, 'ctr'), ['--address', socket(ctx), '--namespace', 'k8s.io', ...args]);

const containerdConfig = (ctx: ServerContext) => {
  const dir = containerdDir(ctx);
  return `version = 3
root = "${dir}/root"
state = "${dir}/state"

[grpc]
  address = "${socket(ctx)}"

[plugins.'io.containerd.nri.v1.nri']
  disable = true

[plugins.'io.containerd.cri.v1.runtime']
  enable_cdi = false
  netns_mounts_under_state_dir = true
  # The kubelet asks for negative OOM scores (-998 for sandboxes), which needs CAP_SYS_RESOURCE;
  # where the harness lacks it (containers, some VMs) this keeps them at containerd's own.
  restrict_oom_score_adj = true
  [plugins.'io.containerd.cri.v1.runtime'.containerd]
    default_runtime_name = "runc"
    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
        BinaryName = "${RUNC}"
        Root = "${dir}/runc"
        SystemdCgroup = false
  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = ["${cniBinDir(ctx)}"]
    conf_dir = "${dir}/net.d"

[plugins.'io.containerd.cri.v1.images']
  snapshotter = "overlayfs"
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = "${BUSYBOX_IMAGE}"
  [plugins.'io.containerd.cri.v1.images'.registry]
    config_path = "${dir}/certs.d"

[plugins.'io.containerd.grpc.v1.cri']
  disable_tcp_service = true
  stream_server_address = "127.0.0.1"
`;
};

// No masquerading: Pods talk to Services and to the host address only, and the host routes
// replies back over the bridge, so the CNI plugins add no iptables rules of their own.
const cniConfig = (ctx: ServerContext) =>
  JSON.stringify(
    {
      cniVersion: '1.0.0',
      name: 'girok',
      plugins: [
        {
          type: 'bridge',
          bridge: BRIDGE,
          isGateway: true,
          ipMasq: false,
          hairpinMode: true,
          ipam: {
            type: 'host-local',
            ranges: [[{ subnet: podCidr }]],
            routes: [{ dst: '0.0.0.0/0' }],
            dataDir: path.join(containerdDir(ctx), 'ipam'),
          },
        },
      ],
    },
    null,
    2,
  );

const registryHosts = `server = "http://${REGISTRY}"

[host."http://${REGISTRY}"]
  capabilities = ["pull", "resolve"]
`;

export const containerd: ServerDef = {
  name: 'containerd',
  summary: `containerd ${versions.containerd} + runc (Debian) + CNI bridge ${versions.cniPlugins}, the real node's runtime`,
  needs: [],
  externalVar: 'KUBECONFIG',
  ports: () => [],
  async install(ctx) {
    await ensureDebianPackages(ctx.progress, [
      { package: 'runc', provides: RUNC },
      { package: 'iptables', provides: '/usr/sbin/iptables' },
    ]);
    await goBuildWrapper(ctx.progress, {
      what: `containerd ${versions.containerd}`,
      coldEstimate: 'about 6 min',
      workDir: path.join(ctx.config.cacheDir, 'build', `containerd-${versions.containerd}`),
      goMod: `module local/containerdbuild\n\ngo 1.26.6\n\nrequire github.com/containerd/containerd/v2 v${versions.containerd}\n`,
      packages: ['containerd', 'ctr', 'containerd-shim-runc-v2'].map(
        (c) => `github.com/containerd/containerd/v2/cmd/${c}`,
      ),
      // Static (CGO_ENABLED=0): btrfs needs cgo; devmapper and zfs are snapshotters the node never uses.
      tags: ['no_btrfs', 'no_devmapper', 'no_zfs', 'urfave_cli_no_docs'],
      ldflags: `-s -w -X github.com/containerd/containerd/v2/version.Version=v${versions.containerd}`,
      binDir: toolDir(ctx, 'containerd', versions.containerd),
      binaries: ['containerd', 'ctr', 'containerd-shim-runc-v2'],
    });
    const cni = (p: string) => `github.com/containernetworking/plugins/plugins/${p}@v${versions.cniPlugins}`;
    for (const [plugin, pkg] of [
      ['bridge', 'main/bridge'],
      ['host-local', 'ipam/host-local'],
      ['loopback', 'main/loopback'],
    ] as const)
      await goInstall(ctx.progress, {
        pkg: cni(pkg),
        coldEstimate: 'about 1 min',
        binDir: cniBinDir(ctx),
        binaries: [plugin],
      });
  },
  async start(ctx) {
    const dir = containerdDir(ctx);
    fs.mkdirSync(path.join(dir, 'net.d'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'net.d', '10-girok.conflist'), cniConfig(ctx));
    fs.mkdirSync(path.join(dir, 'certs.d', REGISTRY), { recursive: true });
    fs.writeFileSync(path.join(dir, 'certs.d', REGISTRY, 'hosts.toml'), registryHosts);
    fs.writeFileSync(path.join(dir, 'config.toml'), containerdConfig(ctx));
    // The bridge plugin turns forwarding on as well; it must be on before the first Pod.
    fs.writeFileSync('/proc/sys/net/ipv4/ip_forward', '1');
    return startDaemon(containerdBin(ctx, 'containerd'), ['--config', path.join(dir, 'config.toml')], {
      // The shim and runc are found on PATH.
      env: { ...process.env, PATH: `${toolDir(ctx, 'containerd', versions.containerd)}:${process.env.PATH}` },
      logFile: logFile(ctx, 'containerd'),
      pidFile: pidFile(ctx, 'containerd'),
    });
  },
  ready: async (ctx) =>
    fs.existsSync(socket(ctx)) &&
    (await ctr(ctx, ['version']).then(
      () => true,
      () => false,
    )),
  cleanup: (ctx) => cleanupPods(ctx),
  env: (ctx) => ({ CONTAINERD_ADDRESS: socket(ctx), CTR: containerdBin(ctx, 'ctr') }),
};

/**
 * Stops what Pods leave behind once containerd is gone: their processes (in the kubelet's
 * `kubepods` cgroups), the shims, the mounts under containerd's folders, the bridge.
 */
async function cleanupPods(ctx: ServerContext): Promise<void> {
  for (const pid of [...cgroupPids('kubepods'), ...shimPids(socket(ctx))]) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await unmountUnder(containerdDir(ctx));
  removeCgroups('kubepods');
  if (fs.existsSync(`/sys/class/net/${BRIDGE}`)) await exec('ip', ['link', 'del', BRIDGE]);
}

const CGROUP_ROOT = '/sys/fs/cgroup';

/** Every cgroup folder (v1: one tree per controller) of a subtree, deepest first. */
function cgroupDirs(subtree: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }))
      if (entry.isDirectory()) walk(path.join(dir, entry.name));
    out.push(dir);
  };
  for (const controller of fs.readdirSync(CGROUP_ROOT)) {
    const dir = path.join(CGROUP_ROOT, controller, subtree);
    if (fs.existsSync(dir) && !fs.lstatSync(path.join(CGROUP_ROOT, controller)).isSymbolicLink()) walk(dir);
  }
  return out;
}

function cgroupPids(subtree: string): number[] {
  const pids = new Set<number>();
  for (const dir of cgroupDirs(subtree)) {
    const procs = path.join(dir, 'cgroup.procs');
    if (!fs.existsSync(procs)) continue;
    for (const line of fs.readFileSync(procs, 'utf8').split('\n')) if (line) pids.add(Number(line));
  }
  return [...pids];
}

function removeCgroups(subtree: string): void {
  for (const dir of cgroupDirs(subtree)) {
    try {
      fs.rmdirSync(dir);
    } catch {
      // still busy (a process on its way out); the kubelet reuses it next time
    }
  }
}

/** The containerd shims of this containerd (their command line names its socket). */
function shimPids(address: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (args[0]?.endsWith('containerd-shim-runc-v2') && args.includes(address)) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** Lazily unmounts every mount below a folder (overlay root filesystems, network namespaces, tmpfs volumes). */
async function unmountUnder(dir: string): Promise<void> {
  const prefix = `${path.resolve(dir)}/`;
  const points = fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4]?.replaceAll('\\040', ' '))
    .filter((p): p is string => p?.startsWith(prefix) ?? false)
    .sort((a, b) => b.length - a.length);
  for (const point of new Set(points)) await exec('umount', ['-l', point]).catch(() => {});
}

const kubeletConfig = (ctx: ServerContext) => `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# This machine has cgroup v1 only, which the kubelet refuses unless told otherwise.
failCgroupV1: false
cgroupDriver: cgroupfs
failSwapOn: false
containerRuntimeEndpoint: unix://${socket(ctx)}
address: ${hostAddress}
port: ${ctx.config.ports.kubelet}
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: ${ctx.config.ports.kubeletHealthz}
authentication:
  anonymous: { enabled: true }
  webhook: { enabled: false }
authorization:
  mode: AlwaysAllow
clusterDNS: [${clusterDnsIp}]
clusterDomain: cluster.local
resolvConf: /etc/resolv.conf
# ConfigMap volumes (the cluster DNS's rewrite rules) follow their ConfigMap within seconds.
syncFrequency: 10s
podLogsDir: ${path.join(kubeletDir(ctx), 'pod-logs')}
volumePluginDir: ${path.join(kubeletDir(ctx), 'volume-plugins')}
serializeImagePulls: false
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard:
  memory.available: 100Mi
  nodefs.available: 1%
  imagefs.available: 1%
  nodefs.inodesFree: 1%
`;

export const kubelet: ServerDef = {
  name: 'kubelet',
  summary: `kubelet ${versions.kubernetes}: registers the real node ${NODE_NAME}`,
  needs: ['containerd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'],
  externalVar: 'KUBECONFIG',
  // Its API listens on the host address (the API server reaches it there), its health on 127.0.0.1.
  ports: (ctx) => [ctx.config.ports.kubeletHealthz],
  async install(ctx) {
    await ensureDebianPackages(ctx.progress, [{ package: 'busybox-static', provides: '/bin/busybox' }]);
    await buildKubernetes(ctx, ['kubelet', 'kube-proxy'], 'about 6 min');
    await coredns.install(ctx);
    await nodeImages(ctx);
  },
  async start(ctx) {
    await ensureHostAddress();
    for (const archive of ['busybox.tar', 'coredns.tar'])
      await ctr(ctx, ['images', 'import', path.join(imagesDir(ctx), archive)]);
    const dir = kubeletDir(ctx);
    fs.writeFileSync(path.join(dir, 'config.yaml'), kubeletConfig(ctx));
    return startDaemon(
      k8sBin(ctx, 'kubelet'),
      [
        `--config=${path.join(dir, 'config.yaml')}`,
        `--kubeconfig=${kubeconfigPath(ctx)}`,
        `--root-dir=${path.join(dir, 'root')}`,
        `--hostname-override=${NODE_NAME}`,
        `--node-ip=${hostAddress}`,
        '--node-labels=girok.dev/node=real',
        '--v=1',
      ],
      { logFile: logFile(ctx, 'kubelet'), pidFile: pidFile(ctx, 'kubelet') },
    );
  },
  ready: async (ctx) => nodeReady(ctx),
  startTimeoutMs: 90_000,
  async cleanup(ctx) {
    await unmountUnder(kubeletDir(ctx));
    // The kubelet's own chains: its canaries, the iptables-mode hint, and the localnet firewall.
    for (const builtin of ['INPUT', 'OUTPUT'])
      await exec('iptables', ['-t', 'filter', '-D', builtin, '-j', 'KUBE-FIREWALL']).catch(() => {});
    await deleteChains(
      ['KUBE-KUBELET-CANARY', 'KUBE-IPTABLES-HINT', 'KUBE-FIREWALL'],
      ['mangle', 'nat', 'filter'],
    );
  },
  env: () => ({ NODE_NAME, NODE_BUSYBOX_IMAGE: BUSYBOX_IMAGE }),
};

async function nodeReady(ctx: ServerContext): Promise<boolean> {
  const answer = await httpsGetInsecure(`${apiUrl(ctx)}/api/v1/nodes/${NODE_NAME}`, {
    authorization: `Bearer ${adminToken(ctx)}`,
  });
  if (answer?.status !== 200) return false;
  const node = JSON.parse(answer.body) as { status?: { conditions?: { type: string; status: string }[] } };
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** The sandbox/busybox image and the cluster DNS image, built once per version into the cache. */
async function nodeImages(ctx: ServerContext): Promise<void> {
  const dir = imagesDir(ctx);
  fs.mkdirSync(dir, { recursive: true });
  const busybox = path.join(dir, 'busybox.tar');
  if (!fs.existsSync(busybox)) {
    const applets = (await exec('/bin/busybox', ['--list'])).split('\n').filter((a) => a && a !== 'busybox');
    await writeOciArchive(busybox, {
      name: BUSYBOX_IMAGE,
      files: [{ path: 'bin/busybox', source: '/bin/busybox' }],
      links: applets.map((a) => ({ path: `bin/${a}`, target: 'busybox' })),
      // As the Pod sandbox it only has to stay alive; the runtime stops it with SIGKILL.
      entrypoint: ['/bin/busybox', 'sleep', '2147483647'],
    });
  }
  const dns = path.join(dir, 'coredns.tar');
  if (!fs.existsSync(dns))
    await writeOciArchive(dns, {
      name: COREDNS_IMAGE,
      files: [{ path: 'coredns', source: path.join(toolDir(ctx, 'coredns', versions.coredns), 'coredns') }],
      entrypoint: ['/coredns'],
    });
}

// The cluster's CoreDNS runs as a Pod, as in a real cluster: the `import` loads the rules the
// operator writes into kube-system/coredns-custom (`*.override` in this server block, `*.server`
// as blocks of their own), and `reload` applies a changed ConfigMap within seconds.
const corefile = `.:53 {
    errors
    health :8080
    ready :8181
    import /etc/coredns/custom/*.override
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }
    forward . /etc/resolv.conf
    cache 5
    loop
    reload 2s 1s
}
import /etc/coredns/custom/*.server
`;

const clusterDnsManifests = () => `apiVersion: v1
kind: ServiceAccount
metadata: { name: coredns, namespace: kube-system }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: "system:coredns" }
rules:
- apiGroups: [""]
  resources: [endpoints, services, pods, namespaces]
  verbs: [list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: "system:coredns" }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:coredns" }
subjects:
- { kind: ServiceAccount, name: coredns, namespace: kube-system }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: coredns, namespace: kube-system }
data:
  Corefile: |
${corefile
  .split('\n')
  .map((l) => (l ? `    ${l}` : l))
  .join('\n')}
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: coredns, namespace: kube-system, labels: { k8s-app: kube-dns } }
spec:
  replicas: 1
  selector: { matchLabels: { k8s-app: kube-dns } }
  template:
    metadata: { labels: { k8s-app: kube-dns } }
    spec:
      serviceAccountName: coredns
      priorityClassName: system-cluster-critical
      dnsPolicy: Default
      containers:
      - name: coredns
        image: ${COREDNS_IMAGE}
        imagePullPolicy: Never
        args: [-conf, /etc/coredns/Corefile]
        ports:
        - { name: dns, containerPort: 53, protocol: UDP }
        - { name: dns-tcp, containerPort: 53, protocol: TCP }
        readinessProbe:
          httpGet: { path: /ready, port: 8181 }
          periodSeconds: 2
        livenessProbe:
          httpGet: { path: /health, port: 8080 }
        volumeMounts:
        - { name: config, mountPath: /etc/coredns, readOnly: true }
        - { name: custom, mountPath: /etc/coredns/custom, readOnly: true }
      volumes:
      - name: config
        configMap: { name: coredns }
      - name: custom
        configMap: { name: coredns-custom, optional: true }
---
apiVersion: v1
kind: Service
metadata: { name: kube-dns, namespace: kube-system, labels: { k8s-app: kube-dns } }
spec:
  clusterIP: ${clusterDnsIp}
  selector: { k8s-app: kube-dns }
  ports:
  - { name: dns, port: 53, protocol: UDP }
  - { name: dns-tcp, port: 53, protocol: TCP }
`;

const kubeProxyConfig = (ctx: ServerContext) => `apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clientConnection:
  kubeconfig: ${kubeconfigPath(ctx)}
hostnameOverride: ${NODE_NAME}
bindAddress: ${hostAddress}
clusterCIDR: ${podCidr}
healthzBindAddress: 127.0.0.1:${ctx.config.ports.kubeProxyHealthz}
metricsBindAddress: 127.0.0.1:${ctx.config.ports.kubeProxyMetrics}
# Zeros leave the host's conntrack settings as they are.
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
iptables:
  localhostNodePorts: false
`;

export const kubeProxy: ServerDef = {
  name: 'kube-proxy',
  summary: `kube-proxy ${versions.kubernetes} (iptables) and the cluster DNS Pod (CoreDNS at ${clusterDnsIp})`,
  needs: ['kubelet'],
  externalVar: 'KUBECONFIG',
  ports: (ctx) => [ctx.config.ports.kubeProxyHealthz, ctx.config.ports.kubeProxyMetrics],
  install: (ctx) => buildKubernetes(ctx, ['kubelet', 'kube-proxy'], 'about 6 min'),
  async start(ctx) {
    const dir = serverDir(ctx, 'kube-proxy');
    fs.writeFileSync(path.join(dir, 'config.yaml'), kubeProxyConfig(ctx));
    const pid = startDaemon(
      k8sBin(ctx, 'kube-proxy'),
      [`--config=${path.join(dir, 'config.yaml')}`, '--v=1'],
      {
        logFile: logFile(ctx, 'kube-proxy'),
        pidFile: pidFile(ctx, 'kube-proxy'),
      },
    );
    fs.writeFileSync(path.join(dir, 'cluster-dns.yaml'), clusterDnsManifests());
    await exec(
      k8sBin(ctx, 'kubectl'),
      ['--kubeconfig', kubeconfigPath(ctx), 'apply', '-f', path.join(dir, 'cluster-dns.yaml')],
      { logFile: logFile(ctx, 'kube-proxy') },
    );
    return pid;
  },
  async ready(ctx) {
    const health = await httpGet(`http://127.0.0.1:${ctx.config.ports.kubeProxyHealthz}/healthz`);
    if (health?.status !== 200) return false;
    const answer = await httpsGetInsecure(
      `${apiUrl(ctx)}/apis/apps/v1/namespaces/kube-system/deployments/coredns`,
      {
        authorization: `Bearer ${adminToken(ctx)}`,
      },
    );
    if (answer?.status !== 200) return false;
    return (
      ((JSON.parse(answer.body) as { status?: { readyReplicas?: number } }).status?.readyReplicas ?? 0) > 0
    );
  },
  startTimeoutMs: 90_000,
  async cleanup(ctx) {
    const config = path.join(serverDir(ctx, 'kube-proxy'), 'config.yaml');
    // kube-proxy removes its own chains (KUBE-SERVICES, KUBE-SVC-*, ...) and nothing else.
    if (fs.existsSync(config))
      await exec(k8sBin(ctx, 'kube-proxy'), ['--cleanup', `--config=${config}`], {
        logFile: logFile(ctx, 'kube-proxy'),
      });
  },
  env: () => ({ CLUSTER_DNS: clusterDnsIp }),
};

/** Removes chains the kubelet creates for kube-proxy to find (iptables mode hints); absent ones are fine. */
async function deleteChains(chains: readonly string[], tables: readonly string[]): Promise<void> {
  for (const table of tables)
    for (const chain of chains) {
      await exec('iptables', ['-t', table, '-F', chain]).catch(() => {});
      await exec('iptables', ['-t', table, '-X', chain]).catch(() => {});
    }
}
