// Every pinned version of a backing server, in one place. The cache is keyed by these: bumping a
// version builds or installs the new one beside the old.
export const versions = {
  /** Debian bookworm's PostgreSQL major. */
  postgres: '15',
  /** Apache Kafka jars from Maven Central. 3.9 keeps the protocol versions kafkajs 2.x speaks (see ADR 0003). */
  kafka: '3.9.2',
  /** Kubernetes release built from the k8s.io/kubernetes Go module with the staging replaces. */
  kubernetes: '1.36.3',
  /** etcd server Go module; the version kubernetes 1.36 itself is tested with. */
  etcd: '3.6.8',
  kwok: '0.8.0',
  /** containerd, the real node's container runtime (Go module github.com/containerd/containerd/v2; runc from Debian). */
  containerd: '2.4.2',
  /** bridge, host-local and loopback from github.com/containernetworking/plugins. */
  cniPlugins: '1.9.1',
  coredns: '1.14.7',
  helm: '3.21.4',
  /** Gateway API CRDs (standard channel, with GRPCRoute) that route tests install from the Go module. */
  gatewayApi: '1.4.1',
  /** Argo CD, whose CRDs the Application manifests are applied against (3.6 needs Go 1.27). */
  argoCd: '3.5.8',
  /** The Lua interpreter Argo CD runs health checks with: the version its go.mod (3.5.8) requires. */
  gopherLua: '1.1.2',
} as const;

/** The staging modules of k8s.io/kubernetes that need a replace to their published v0.x twin. */
export const kubernetesStagingModules = [
  'api',
  'apiextensions-apiserver',
  'apimachinery',
  'apiserver',
  'cli-runtime',
  'client-go',
  'cloud-provider',
  'cluster-bootstrap',
  'code-generator',
  'component-base',
  'component-helpers',
  'controller-manager',
  'cri-api',
  'cri-client',
  'cri-streaming',
  'csi-translation-lib',
  'dynamic-resource-allocation',
  'endpointslice',
  'externaljwt',
  'kms',
  'kube-aggregator',
  'kube-controller-manager',
  'kube-proxy',
  'kube-scheduler',
  'kubectl',
  'kubelet',
  'metrics',
  'mount-utils',
  'pod-security-admission',
  'sample-apiserver',
  'sample-cli-plugin',
  'sample-controller',
  'streaming',
] as const;
