import fs from 'node:fs';
import path from 'node:path';
import { hostAddress } from '../config.ts';
import { ensureHostAddress } from '../host-address.ts';
import { goBuildWrapper, goModuleDir } from '../install/go.ts';
import { exec, startDaemon } from '../proc.ts';
import { logFile, pidFile, type ServerContext, type ServerDef, serverDir, toolDir } from '../server.ts';
import { versions } from '../versions.ts';
import { kubeAccess } from './kube.ts';
import { httpGet, httpsGetInsecure } from './probes.ts';

// Traefik as the Gateway API implementation of the tests, standing in for Cilium's (whose Envoy no
// registry here serves): it watches the harness's API server, programs the Gateways of its
// GatewayClass and serves them on the host address (ADR 0016).

export const GATEWAY_CLASS = 'traefik';
export const GATEWAY_CONTROLLER = 'traefik.io/gateway-controller';

const traefikBin = (ctx: ServerContext) => path.join(toolDir(ctx, 'traefik', versions.traefik), 'traefik');

// The forks Traefik's own go.mod replaces; a wrapper module must repeat them (`go install` refuses
// a module with replace directives). Kept to the version in versions.ts.
const traefikGoMod = (version: string) => `module local/traefikbuild

go 1.25.0

require github.com/traefik/traefik/v3 v${version}

replace (
\tgithub.com/abbot/go-http-auth => github.com/containous/go-http-auth v0.4.1-0.20200324110947-a37a7636d23e
\tgithub.com/gorilla/mux => github.com/containous/mux v0.0.0-20250523120546-41b6ec3aed59
\tgithub.com/mailgun/minheap => github.com/containous/minheap v0.0.0-20190809180810-6e71eb837595
)

exclude github.com/tencentcloud/tencentcloud-sdk-go v3.0.83+incompatible
`;

const gatewayClass = `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: ${GATEWAY_CLASS}
spec:
  controllerName: ${GATEWAY_CONTROLLER}
`;

/** The Gateway API CRDs (standard channel, with GRPCRoute) from their Go module, and Traefik's GatewayClass. */
async function installGatewayApi(ctx: ServerContext): Promise<void> {
  const kube = kubeAccess(ctx);
  const kubectl = (...args: string[]) => exec(kube.kubectl, ['--kubeconfig', kube.kubeconfig, ...args]);
  const crds = path.join(
    await goModuleDir(`sigs.k8s.io/gateway-api@v${versions.gatewayApi}`),
    'config/crd/standard',
  );
  await kubectl('apply', '--server-side', '--force-conflicts', '-f', crds);
  await kubectl('wait', '--for=condition=Established', '--timeout=60s', '-f', crds);
  const classFile = path.join(serverDir(ctx, 'gateway'), 'gatewayclass.yaml');
  fs.writeFileSync(classFile, gatewayClass);
  await kubectl('apply', '--server-side', '-f', classFile);
}

const classAccepted = async (ctx: ServerContext) => {
  const kube = kubeAccess(ctx);
  const answer = await httpsGetInsecure(
    `${kube.url}/apis/gateway.networking.k8s.io/v1/gatewayclasses/${GATEWAY_CLASS}`,
    { authorization: `Bearer ${fs.readFileSync(kube.tokenFile, 'utf8').trim()}` },
  );
  if (answer?.status !== 200) return false;
  const status = (JSON.parse(answer.body) as { status?: { conditions?: { type: string; status: string }[] } })
    .status;
  return status?.conditions?.some((c) => c.type === 'Accepted' && c.status === 'True') === true;
};

export const gateway: ServerDef = {
  name: 'gateway',
  summary: `Traefik ${versions.traefik} (Go module build), the Gateway API controller on ${hostAddress}:443/80`,
  needs: ['kube-apiserver'],
  // The entrypoints listen on the host address, which the 127.0.0.1 check cannot see; Traefik's own API can.
  ports: (ctx) => [ctx.config.ports.gatewayAdmin],
  install: (ctx) =>
    goBuildWrapper(ctx.progress, {
      what: `Traefik ${versions.traefik}`,
      coldEstimate: 'up to an hour',
      workDir: path.join(ctx.config.cacheDir, 'build', `traefik-${versions.traefik}`),
      goMod: traefikGoMod(versions.traefik),
      packages: ['github.com/traefik/traefik/v3/cmd/traefik'],
      ldflags: `-s -w -X github.com/traefik/traefik/v3/pkg/version.Version=${versions.traefik}`,
      binDir: toolDir(ctx, 'traefik', versions.traefik),
      binaries: ['traefik'],
    }),
  async start(ctx) {
    await ensureHostAddress();
    await installGatewayApi(ctx);
    const kube = kubeAccess(ctx);
    return startDaemon(
      traefikBin(ctx),
      [
        '--global.checkNewVersion=false',
        '--global.sendAnonymousUsage=false',
        '--log.level=INFO',
        // A Gateway listener binds to the entrypoint whose address ends in its port.
        `--entryPoints.websecure.address=${hostAddress}:443`,
        `--entryPoints.web.address=${hostAddress}:80`,
        `--entryPoints.traefik.address=127.0.0.1:${ctx.config.ports.gatewayAdmin}`,
        '--ping=true',
        '--ping.entryPoint=traefik',
        '--providers.kubernetesgateway=true',
        `--providers.kubernetesgateway.endpoint=${kube.url}`,
        `--providers.kubernetesgateway.token=${kube.tokenFile}`,
        `--providers.kubernetesgateway.certAuthFilePath=${kube.caFile}`,
        `--providers.kubernetesgateway.statusAddress.ip=${hostAddress}`,
      ],
      { cwd: serverDir(ctx, 'gateway'), logFile: logFile(ctx, 'gateway'), pidFile: pidFile(ctx, 'gateway') },
    );
  },
  ready: async (ctx) =>
    (await httpGet(`http://127.0.0.1:${ctx.config.ports.gatewayAdmin}/ping`))?.status === 200 &&
    (await classAccepted(ctx)),
  startTimeoutMs: 60_000,
  env: () => ({
    GATEWAY_CLASS,
    GATEWAY_ADDRESS: hostAddress,
  }),
};
