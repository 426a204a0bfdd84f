import { generateKeyPairSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { hostAddress, serviceCidr } from '../config.ts';
import { ensureHostAddress } from '../host-address.ts';
import { ensureDebianPackages } from '../install/debian.ts';
import { goBuildWrapper, goInstall, goModuleDir } from '../install/go.ts';
import { exec, startDaemon } from '../proc.ts';
import { logFile, pidFile, type ServerContext, type ServerDef, serverDir, toolDir } from '../server.ts';
import { kubernetesStagingModules, versions } from '../versions.ts';
import { httpGet, httpsGetInsecure } from './probes.ts';

// etcd -> kube-apiserver -> kube-controller-manager + kube-scheduler -> kwok (one fake node), so
// that a Deployment really gets a ReplicaSet, Pods bound to a node, and becomes Available. The
// real node (node.ts) joins the same API server.

export const k8sBin = (ctx: ServerContext, name: string) =>
  path.join(toolDir(ctx, 'kubernetes', versions.kubernetes), name);
const etcdBin = (ctx: ServerContext) => path.join(toolDir(ctx, 'etcd', versions.etcd), 'etcd');
const kwokBin = (ctx: ServerContext) => path.join(toolDir(ctx, 'kwok', versions.kwok), 'kwok');

const apiDir = (ctx: ServerContext) => serverDir(ctx, 'kube-apiserver');
/** The admin credentials every component and test uses. */
export const kubeconfigPath = (ctx: ServerContext) => path.join(apiDir(ctx), 'admin.kubeconfig');
const pki = (ctx: ServerContext, file: string) => path.join(apiDir(ctx), 'pki', file);
const tokenPath = (ctx: ServerContext) => path.join(apiDir(ctx), 'admin.token');
export const apiUrl = (ctx: ServerContext) => `https://127.0.0.1:${ctx.config.ports.kubeApiserver}`;
export const adminToken = (ctx: ServerContext) => fs.readFileSync(tokenPath(ctx), 'utf8').trim();
const etcdUrl = (ctx: ServerContext) => `http://127.0.0.1:${ctx.config.ports.etcdClient}`;

const KWOK_NODE = 'kwok-node-0';
const KWOK_TAINT = 'kwok.x-k8s.io/node';

/**
 * The kwok node is tainted so that Pods land on the real node unless they ask for kwok: a
 * namespace with these annotations (PodNodeSelector and PodTolerationRestriction admission) puts
 * all its Pods on the kwok node, where fake images "run".
 */
export const kwokNamespaceAnnotations: Readonly<Record<string, string>> = {
  'scheduler.alpha.kubernetes.io/node-selector': 'type=kwok',
  'scheduler.alpha.kubernetes.io/defaultTolerations': JSON.stringify([
    { key: KWOK_TAINT, operator: 'Exists', effect: 'NoSchedule' },
  ]),
};

export const etcd: ServerDef = {
  name: 'etcd',
  summary: `etcd ${versions.etcd} (Go module build)`,
  needs: [],
  externalVar: 'KUBECONFIG',
  ports: (ctx) => [ctx.config.ports.etcdClient, ctx.config.ports.etcdPeer],
  install: (ctx) =>
    goBuildWrapper(ctx.progress, {
      what: `etcd ${versions.etcd}`,
      coldEstimate: 'about 1.5 min',
      workDir: path.join(ctx.config.cacheDir, 'build', `etcd-${versions.etcd}`),
      goMod: `module local/etcdbuild\n\ngo 1.25.0\n\nrequire go.etcd.io/etcd/server/v3 v${versions.etcd}\n`,
      packages: ['go.etcd.io/etcd/server/v3'],
      ldflags: '-s -w',
      binDir: toolDir(ctx, 'etcd', versions.etcd),
      binaries: ['etcd'],
    }),
  start: async (ctx) => {
    const dir = serverDir(ctx, 'etcd');
    const peer = `http://127.0.0.1:${ctx.config.ports.etcdPeer}`;
    return startDaemon(
      etcdBin(ctx),
      [
        '--name',
        'girok',
        '--data-dir',
        path.join(dir, 'data'),
        '--unsafe-no-fsync',
        '--listen-client-urls',
        etcdUrl(ctx),
        '--advertise-client-urls',
        etcdUrl(ctx),
        '--listen-peer-urls',
        peer,
        '--initial-advertise-peer-urls',
        peer,
        '--initial-cluster',
        `girok=${peer}`,
        '--log-level',
        'warn',
      ],
      { logFile: logFile(ctx, 'etcd'), pidFile: pidFile(ctx, 'etcd') },
    );
  },
  async ready(ctx) {
    const answer = await httpGet(`${etcdUrl(ctx)}/health`);
    return answer?.status === 200 && answer.body.includes('"health":"true"');
  },
  env: (ctx) => ({ ETCD_ENDPOINTS: etcdUrl(ctx) }),
};

/**
 * Builds commands of k8s.io/kubernetes into the version's tool folder. Each caller names the
 * commands it needs, so the node's (kubelet, kube-proxy) build is separate and cached on its own.
 */
export function buildKubernetes(ctx: ServerContext, commands: readonly string[], coldEstimate: string) {
  const v = versions.kubernetes;
  const [major, minor, patch] = v.split('.');
  const staging = kubernetesStagingModules.map((m) => `\tk8s.io/${m} => k8s.io/${m} v0.${minor}.${patch}`);
  const ldflags = ['-s', '-w'];
  for (const pkg of ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version']) {
    ldflags.push(`-X ${pkg}.gitVersion=v${v}`, `-X ${pkg}.gitMajor=${major}`, `-X ${pkg}.gitMinor=${minor}`);
  }
  return goBuildWrapper(ctx.progress, {
    what: `Kubernetes ${v} (${commands.join(', ')})`,
    coldEstimate,
    workDir: path.join(ctx.config.cacheDir, 'build', `kubernetes-${v}`),
    // k8s.io/kubernetes requires its staging modules at v0.0.0, which the proxy does not serve.
    goMod: `module local/k8sbuild\n\ngo 1.26.0\n\nrequire k8s.io/kubernetes v${v}\n\nreplace (\n${staging.join('\n')}\n)\n`,
    packages: commands.map((c) => `k8s.io/kubernetes/cmd/${c}`),
    ldflags: ldflags.join(' '),
    binDir: toolDir(ctx, 'kubernetes', v),
    binaries: commands,
  });
}

export const kubeApiserver: ServerDef = {
  name: 'kube-apiserver',
  summary: `kube-apiserver ${versions.kubernetes} (k8s.io/kubernetes Go module build, with kubectl)`,
  needs: ['etcd'],
  externalVar: 'KUBECONFIG',
  ports: (ctx) => [ctx.config.ports.kubeApiserver],
  async install(ctx) {
    await ensureDebianPackages(ctx.progress, [{ package: 'openssl', provides: '/usr/bin/openssl' }]);
    await buildKubernetes(
      ctx,
      ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl'],
      'about 7.5 min',
    );
  },
  async start(ctx) {
    fs.mkdirSync(path.dirname(pki(ctx, 'x')), { recursive: true });
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    fs.writeFileSync(pki(ctx, 'sa.key'), privateKey.export({ type: 'pkcs1', format: 'pem' }));
    fs.writeFileSync(pki(ctx, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
    const token = randomBytes(24).toString('hex');
    fs.writeFileSync(tokenPath(ctx), token, { mode: 0o600 });
    fs.writeFileSync(pki(ctx, 'tokens.csv'), `${token},girok-admin,girok-admin,"system:masters"\n`, {
      mode: 0o600,
    });
    await servingCertificate(ctx);
    await ensureHostAddress();
    const pid = startDaemon(
      k8sBin(ctx, 'kube-apiserver'),
      [
        `--etcd-servers=${etcdUrl(ctx)}`,
        `--secure-port=${ctx.config.ports.kubeApiserver}`,
        // All addresses, so both 127.0.0.1 (the kubeconfig) and the host address (the `kubernetes`
        // Service, which Pods use) answer; the token file is the only way in.
        '--bind-address=0.0.0.0',
        `--advertise-address=${hostAddress}`,
        `--tls-cert-file=${pki(ctx, 'apiserver.crt')}`,
        `--tls-private-key-file=${pki(ctx, 'apiserver.key')}`,
        '--enable-admission-plugins=PodNodeSelector,PodTolerationRestriction',
        `--token-auth-file=${pki(ctx, 'tokens.csv')}`,
        '--authorization-mode=Node,RBAC',
        '--allow-privileged=true',
        `--service-cluster-ip-range=${serviceCidr}`,
        `--service-account-issuer=${apiUrl(ctx)}`,
        // The kubelet's node name is no DNS name; its InternalIP is the host address.
        '--kubelet-preferred-address-types=InternalIP,Hostname',
        `--service-account-key-file=${pki(ctx, 'sa.pub')}`,
        `--service-account-signing-key-file=${pki(ctx, 'sa.key')}`,
        '--v=1',
      ],
      { logFile: logFile(ctx, 'kube-apiserver'), pidFile: pidFile(ctx, 'kube-apiserver') },
    );
    fs.writeFileSync(kubeconfigPath(ctx), kubeconfig(apiUrl(ctx), token, pki(ctx, 'ca.crt')), {
      mode: 0o600,
    });
    return pid;
  },
  async ready(ctx) {
    const answer = await httpsGetInsecure(`${apiUrl(ctx)}/readyz`, {
      authorization: `Bearer ${adminToken(ctx)}`,
    });
    return answer?.status === 200;
  },
  env: (ctx) => ({ KUBECONFIG: kubeconfigPath(ctx), KUBECTL: k8sBin(ctx, 'kubectl') }),
};

/**
 * A CA of this run and the API server's serving certificate, for every name it is reached by:
 * 127.0.0.1 (the kubeconfig), the host address and the `kubernetes` Service (Pods). The server's
 * own self-signed one would name only its advertise address.
 */
async function servingCertificate(ctx: ServerContext): Promise<void> {
  const options = { logFile: logFile(ctx, 'kube-apiserver') };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  await exec(
    'openssl',
    [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      pki(ctx, 'ca.key'),
      '-out',
      pki(ctx, 'ca.crt'),
      '-days',
      '365',
      '-subj',
      '/CN=girok-infra-ca',
    ],
    options,
  );
  await exec(
    'openssl',
    [
      'req',
      ...ec,
      '-keyout',
      pki(ctx, 'apiserver.key'),
      '-out',
      pki(ctx, 'apiserver.csr'),
      '-subj',
      '/CN=kube-apiserver',
    ],
    options,
  );
  const names = [
    'localhost',
    'kubernetes',
    'kubernetes.default',
    'kubernetes.default.svc',
    'kubernetes.default.svc.cluster.local',
  ];
  const ips = ['127.0.0.1', hostAddress, firstServiceIp];
  fs.writeFileSync(
    pki(ctx, 'apiserver.ext'),
    `subjectAltName=${[...ips.map((ip) => `IP:${ip}`), ...names.map((n) => `DNS:${n}`)].join(',')}\nextendedKeyUsage=serverAuth\n`,
  );
  await exec(
    'openssl',
    [
      'x509',
      '-req',
      '-in',
      pki(ctx, 'apiserver.csr'),
      '-CA',
      pki(ctx, 'ca.crt'),
      '-CAkey',
      pki(ctx, 'ca.key'),
      '-CAcreateserial',
      '-days',
      '365',
      '-extfile',
      pki(ctx, 'apiserver.ext'),
      '-out',
      pki(ctx, 'apiserver.crt'),
    ],
    options,
  );
}

/** The `kubernetes` Service's ClusterIP: the first address of the Service range. */
const firstServiceIp = serviceCidr.replace(/\.0\/\d+$/, '.1');

/** The CA that signed the API server's certificate; Pods get it as kube-root-ca.crt. */
export const apiserverCa = (ctx: ServerContext) => pki(ctx, 'ca.crt');

const kubeconfig = (server: string, token: string, ca: string) => `apiVersion: v1
kind: Config
clusters:
- name: girok-infra
  cluster:
    server: ${server}
    certificate-authority: ${ca}
users:
- name: girok-admin
  user:
    token: ${token}
contexts:
- name: girok-infra
  context:
    cluster: girok-infra
    user: girok-admin
current-context: girok-infra
`;

const healthz = (port: number) => async () =>
  (await httpsGetInsecure(`https://127.0.0.1:${port}/healthz`))?.status === 200;

export const kubeControllerManager: ServerDef = {
  name: 'kube-controller-manager',
  summary: 'kube-controller-manager (Deployments, ReplicaSets, garbage collection)',
  needs: ['kube-apiserver'],
  externalVar: 'KUBECONFIG',
  ports: (ctx) => [ctx.config.ports.kubeControllerManager],
  install: (ctx) => kubeApiserver.install(ctx),
  start: async (ctx) =>
    startDaemon(
      k8sBin(ctx, 'kube-controller-manager'),
      [
        `--kubeconfig=${kubeconfigPath(ctx)}`,
        '--leader-elect=false',
        '--bind-address=127.0.0.1',
        `--secure-port=${ctx.config.ports.kubeControllerManager}`,
        `--cert-dir=${serverDir(ctx, 'kube-controller-manager')}`,
        `--service-account-private-key-file=${pki(ctx, 'sa.key')}`,
        `--root-ca-file=${pki(ctx, 'ca.crt')}`,
        '--use-service-account-credentials=false',
        '--kube-api-qps=200',
        '--kube-api-burst=400',
        '--v=1',
      ],
      { logFile: logFile(ctx, 'kube-controller-manager'), pidFile: pidFile(ctx, 'kube-controller-manager') },
    ),
  ready: (ctx) => healthz(ctx.config.ports.kubeControllerManager)(),
  env: () => ({}),
};

export const kubeScheduler: ServerDef = {
  name: 'kube-scheduler',
  summary: 'kube-scheduler (binds Pods to the kwok node)',
  needs: ['kube-apiserver'],
  externalVar: 'KUBECONFIG',
  ports: (ctx) => [ctx.config.ports.kubeScheduler],
  install: (ctx) => kubeApiserver.install(ctx),
  start: async (ctx) =>
    startDaemon(
      k8sBin(ctx, 'kube-scheduler'),
      [
        `--kubeconfig=${kubeconfigPath(ctx)}`,
        '--leader-elect=false',
        '--bind-address=127.0.0.1',
        `--secure-port=${ctx.config.ports.kubeScheduler}`,
        `--cert-dir=${serverDir(ctx, 'kube-scheduler')}`,
        '--kube-api-qps=200',
        '--kube-api-burst=400',
        '--v=1',
      ],
      { logFile: logFile(ctx, 'kube-scheduler'), pidFile: pidFile(ctx, 'kube-scheduler') },
    ),
  ready: (ctx) => healthz(ctx.config.ports.kubeScheduler)(),
  env: () => ({}),
};

const kwokStages = [
  'kustomize/stage/node/fast/node-initialize.yaml',
  'kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml',
  'kustomize/stage/pod/fast/pod-ready.yaml',
  'kustomize/stage/pod/fast/pod-complete.yaml',
  'kustomize/stage/pod/fast/pod-delete.yaml',
];
const kwokConfigPath = (ctx: ServerContext) => path.join(toolDir(ctx, 'kwok', versions.kwok), 'stages.yaml');

const fakeNode = `apiVersion: v1
kind: Node
metadata:
  name: ${KWOK_NODE}
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    kubernetes.io/hostname: ${KWOK_NODE}
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    type: kwok
spec:
  taints:
  - { key: ${KWOK_TAINT}, value: fake, effect: NoSchedule }
status:
  allocatable: { cpu: "1000", memory: 4Ti, pods: "3000" }
  capacity: { cpu: "1000", memory: 4Ti, pods: "3000" }
`;

export const kwok: ServerDef = {
  name: 'kwok',
  summary: `kwok ${versions.kwok} with one fake node (Pods become Running and Ready)`,
  needs: ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'],
  externalVar: 'KUBECONFIG',
  ports: (ctx) => [ctx.config.ports.kwok],
  async install(ctx) {
    await goInstall(ctx.progress, {
      pkg: `sigs.k8s.io/kwok/cmd/kwok@v${versions.kwok}`,
      coldEstimate: 'about 2 min',
      binDir: toolDir(ctx, 'kwok', versions.kwok),
      binaries: ['kwok'],
    });
    if (!fs.existsSync(kwokConfigPath(ctx))) {
      // Standalone kwok has no built-in stages; these are the ones kwokctl embeds by default.
      const moduleDir = await goModuleDir(`sigs.k8s.io/kwok@v${versions.kwok}`);
      const stages = kwokStages.map((file) => fs.readFileSync(path.join(moduleDir, file), 'utf8').trim());
      fs.writeFileSync(kwokConfigPath(ctx), `${stages.join('\n---\n')}\n`);
    }
  },
  async start(ctx) {
    const dir = serverDir(ctx, 'kwok');
    const nodeFile = path.join(dir, 'node.yaml');
    fs.writeFileSync(nodeFile, fakeNode);
    await exec(k8sBin(ctx, 'kubectl'), ['--kubeconfig', kubeconfigPath(ctx), 'apply', '-f', nodeFile], {
      logFile: logFile(ctx, 'kwok'),
    });
    return startDaemon(
      kwokBin(ctx),
      [
        `--kubeconfig=${kubeconfigPath(ctx)}`,
        `--config=${kwokConfigPath(ctx)}`,
        '--manage-all-nodes=false',
        '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
        '--cidr=10.244.0.0/16',
        '--node-ip=10.244.0.1',
        '--node-lease-duration-seconds=40',
        `--server-address=127.0.0.1:${ctx.config.ports.kwok}`,
      ],
      { logFile: logFile(ctx, 'kwok'), pidFile: pidFile(ctx, 'kwok') },
    );
  },
  async ready(ctx) {
    const answer = await httpsGetInsecure(`${apiUrl(ctx)}/api/v1/nodes/${KWOK_NODE}`, {
      authorization: `Bearer ${adminToken(ctx)}`,
    });
    if (answer?.status !== 200) return false;
    const node = JSON.parse(answer.body) as { status?: { conditions?: { type: string; status: string }[] } };
    return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  },
  env: () => ({}),
};
