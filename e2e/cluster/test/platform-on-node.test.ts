import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AuthService } from '@girok/contracts/auth/v1/auth';
import type { Browser } from '@girok/e2e/browser';
import { exec, infraEnv, issueTestCertificate } from '@girok/e2e/infra';
import { buildImages, defaultBuildOptions, type PushedImage, pushImages } from '@girok/images';
import { createGrpcClient } from '@girok/kit/grpc';
import { createPolicy } from '@girok/kit/resilience';
import { status as GrpcStatus, Metadata } from '@grpc/grpc-js';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClusterNetwork, clusterBrowser, ReflectionClient, resolveThrough } from './clients.ts';
import {
  type DeploymentObject,
  helm,
  isReady,
  kubectl,
  kubectlJson,
  type PlatformObject,
  type PodObject,
  readText,
  repoPath,
  rolledOut,
  until,
} from './support.ts';

// The platform as a platform engineer gets it (operator/README.md): images in a registry, the
// operator chart installed with Helm, operator/examples/dev.yaml applied with kubectl — on a real
// node (containerd, kubelet, kube-proxy), behind a real Gateway API implementation (Traefik),
// with names answered by the cluster's CoreDNS.

const NS = 'girok-dev';
const PLATFORM = 'girok-dev';
const OPERATOR_NS = 'girok-system';
const BFF_HOST = 'bff-dev.girok.dev';
const GRPC_HOST = 'grpc-dev.girok.dev';
const SIGN_UP = 'mutation($input: SignUpInput!) { signUp(input: $input) { status } }';
const LOGIN =
  'mutation($input: LoginInput!) { login(input: $input) { status me { sessionId account { id } } } }';

interface LoginData {
  login: { status: string; me: { sessionId: string; account: { id: string } } | null };
}

const componentOf: Record<string, string> = {
  identity: 'identity-service',
  auth: 'auth-service',
  legal: 'legal-service',
  audit: 'audit-service',
  authBff: 'auth-bff',
};

describe('kubectl apply ends in a working platform on a real node', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'girok-cluster-'));
  let pushed: PushedImage[] = [];
  let network: ClusterNetwork;
  let suffix = 0;
  const newUser = () => {
    suffix += 1;
    const name = `c${Date.now().toString(36)}${suffix}`;
    return {
      email: `${name}@example.com`,
      username: name,
      password: 'correct horse battery staple',
      country: 'KR',
    };
  };
  const digestOf = (repository: string) => {
    const image = pushed.find((p) => p.repository === `girok/${repository}`);
    if (image === undefined) throw new Error(`no pushed image girok/${repository}`);
    return image.digest;
  };
  const deployments = async () =>
    (await kubectlJson<{ items: DeploymentObject[] }>('-n', NS, 'get', 'deployments')).items;
  const platformState = async () =>
    JSON.stringify(
      (await kubectlJson<PlatformObject>('-n', NS, 'get', `girokplatform/${PLATFORM}`)).status?.conditions,
      null,
      1,
    );

  async function signedIn(browser: Browser, user = newUser()) {
    await browser.prepare();
    const signUp = await browser.graphql<{ signUp: { status: string } }>(SIGN_UP, { input: user });
    expect(signUp.errors).toEqual([]);
    const login = await browser.graphql<LoginData>(LOGIN, {
      input: { identifier: user.email, password: user.password },
    });
    expect(login.errors).toEqual([]);
    const me = login.data?.login.me;
    if (!me) throw new Error(`login answered ${JSON.stringify(login.data)}`);
    return { user, me };
  }

  beforeAll(async () => {
    const registry = infraEnv('REGISTRY_ADDR');
    const built = await buildImages(defaultBuildOptions());
    pushed = await pushImages(built.layout, built.images, registry, '1.0.0');
    // A rerun on kept servers re-pushes the same tags: the node must not run what it cached before.
    const ctr = (...args: string[]) =>
      exec(infraEnv('CTR'), ['--address', infraEnv('CONTAINERD_ADDRESS'), '--namespace', 'k8s.io', ...args]);
    const cached = (await ctr('images', 'list', '--quiet'))
      .split('\n')
      .filter((ref) => ref.startsWith(`${registry}/girok/`));
    if (cached.length > 0) await ctr('images', 'remove', ...cached);

    await helm(
      'upgrade',
      '--install',
      'girok-operator',
      repoPath('charts', 'girok-operator'),
      '--namespace',
      OPERATOR_NS,
      '--create-namespace',
      '--set',
      `image.repository=${registry}/girok/operator`,
      '--set',
      'image.tag=1.0.0',
      '--set',
      `image.digest=${digestOf('operator')}`,
      '--wait',
      '--timeout',
      '5m',
    );

    // The Gateway's certificate, from a CA this run makes; clients trust only that CA.
    const tls = await issueTestCertificate({
      dir: work,
      name: 'gateway',
      commonName: '*.girok.dev',
      dnsNames: ['*.girok.dev'],
      days: 1,
    });
    // A run against kept servers starts from a clean namespace (the operator finalizes the platform).
    await kubectl('delete', 'namespace', NS, '--ignore-not-found', '--wait=true', '--timeout=180s');
    await kubectl('create', 'namespace', NS);
    // Its databases too: a new namespace means new key Secrets, which cannot read the old rows.
    const admin = new pg.Client({ connectionString: infraEnv('DATABASE_URL') });
    await admin.connect();
    try {
      for (const database of ['girok_dev_identity', 'girok_dev_auth', 'girok_dev_legal'])
        await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    } finally {
      await admin.end();
    }
    await kubectl(
      '-n',
      NS,
      'create',
      'secret',
      'tls',
      'girok-dev-tls',
      `--cert=${tls.certFile}`,
      `--key=${tls.keyFile}`,
    );
    network = { dnsServer: infraEnv('CLUSTER_DNS'), ca: readText(tls.caFile) };
  }, 900_000);

  afterAll(async () => {
    // Leave the API server as other suites expect it: no platform, and no operator of this suite's
    // reconciling their namespaces (the namespace goes first, while the operator can finalize it).
    await kubectl('delete', 'namespace', NS, '--ignore-not-found', '--wait=true', '--timeout=180s');
    await helm('uninstall', 'girok-operator', '--namespace', OPERATOR_NS, '--ignore-not-found', '--wait');
    fs.rmSync(work, { recursive: true, force: true });
  }, 300_000);

  it('helm install runs the operator from its image, by digest, on the node', async () => {
    const pods = await until(
      'the operator Pods Ready',
      async () => {
        const list = await kubectlJson<{ items: PodObject[] }>(
          '-n',
          OPERATOR_NS,
          'get',
          'pods',
          '-l',
          'app.kubernetes.io/name=girok-operator',
        );
        return list.items.length > 0 && list.items.every(isReady) ? list.items : undefined;
      },
      180_000,
    );
    for (const pod of pods) {
      expect(pod.spec.nodeName).toBe(infraEnv('NODE_NAME'));
      expect(pod.spec.containers[0]?.image).toContain(`@${digestOf('operator')}`);
    }
  });

  it('kubectl apply -f operator/examples/dev.yaml → Ready, every Deployment Running and Ready', async () => {
    await kubectl('apply', '-f', repoPath('operator', 'examples', 'dev.yaml'));
    await until(
      'GirokPlatform girok-dev Ready',
      async () => {
        const gp = await kubectlJson<PlatformObject>('-n', NS, 'get', `girokplatform/${PLATFORM}`);
        const ready = gp.status?.conditions?.find((c) => c.type === 'Ready');
        return ready?.status === 'True' && gp.status?.observedGeneration === gp.metadata.generation
          ? true
          : undefined;
      },
      600_000,
      platformState,
    );
    const list = await deployments();
    expect(list.map((d) => d.metadata.name).sort()).toEqual(
      ['audit', 'auth', 'auth-bff', 'identity', 'legal'].map((c) => `${PLATFORM}-${c}`),
    );
    for (const d of list) expect(rolledOut(d)).toBe(true);
    const pods = (await kubectlJson<{ items: PodObject[] }>('-n', NS, 'get', 'pods')).items;
    expect(pods.length).toBe(5);
    for (const pod of pods) {
      expect(isReady(pod)).toBe(true);
      expect(pod.spec.nodeName).toBe(infraEnv('NODE_NAME'));
    }
    expect(await kubectl('-n', NS, 'get', 'gp', PLATFORM)).toMatch(/True/);
  });

  it('a browser signs up and logs in at https://bff-dev.girok.dev and sees its session revoked from another device in under a second', async () => {
    expect(await resolveThrough(network.dnsServer, BFF_HOST)).toEqual([infraEnv('GATEWAY_ADDRESS')]);
    const deviceA = clusterBrowser(network, BFF_HOST);
    const { user, me } = await signedIn(deviceA);
    const socketA = await deviceA.socket();
    const deviceB = await clusterBrowser(network, BFF_HOST).prepare();
    const onB = await deviceB.graphql<LoginData>(LOGIN, {
      input: { identifier: user.username, password: user.password },
    });
    expect(onB.data?.login.status).toBe('AUTHENTICATED');

    const sentAt = performance.now();
    const revoke = await deviceB.graphql<{ revokeSession: boolean }>(
      'mutation($id: ID!) { revokeSession(id: $id) }',
      { id: me.sessionId },
    );
    expect(revoke.errors).toEqual([]);
    const pushedEvent = await socketA.next(
      (m) => m.type === 'session.revoked' && m.sessionId === me.sessionId,
      2_000,
    );
    expect(pushedEvent.message.current).toBe(true);
    expect(pushedEvent.at - sentAt).toBeLessThan(1_000);
    expect((await deviceA.graphql('query { me { sessionId } }')).status).toBe(401);
    socketA.close();
  });

  it('a gRPC client with server reflection calls IdentityService at grpc-dev.girok.dev:443 with its access token; a workload-only method is not routed', async () => {
    const [gatewayAddress = ''] = await resolveThrough(network.dnsServer, GRPC_HOST);
    expect(gatewayAddress).toBe(infraEnv('GATEWAY_ADDRESS'));
    const browser = clusterBrowser(network, BFF_HOST);
    const { me } = await signedIn(browser);

    // The user's access token, as the BFF obtains it: auth's IssueAccessToken, which only the BFF
    // workload may call — so the suite shows the BFF's ServiceAccount token (a cluster admin can
    // request one) at auth's Service. Applications get tokens by a standard protocol in a later issue.
    const bffToken = (
      await kubectl(
        '-n',
        NS,
        'create',
        'token',
        `${PLATFORM}-auth-bff`,
        '--audience',
        'girok',
        '--duration',
        '10m',
      )
    ).trim();
    const authService = await kubectlJson<{ spec: { clusterIP: string } }>(
      '-n',
      NS,
      'get',
      'service',
      `${PLATFORM}-auth`,
    );
    const auth = createGrpcClient(AuthService, `${authService.spec.clusterIP}:50052`, {
      deadlineMs: 10_000,
      policy: createPolicy({ name: 'cluster-e2e', retry: { maxRetries: 0 } }),
    });
    const workload = new Metadata();
    workload.set('girok-workload', bffToken);
    const { accessToken } = await auth.issueAccessToken({ sessionId: me.sessionId }, { metadata: workload });

    const client = new ReflectionClient(`${GRPC_HOST}:443`, {
      authority: GRPC_HOST,
      ca: network.ca,
      lookupAddress: gatewayAddress,
    });
    try {
      const answer = (await client.call(
        'girok.identity.v1.IdentityService',
        'GetAccount',
        { accountId: me.account.id },
        { authorization: `Bearer ${accessToken}` },
      )) as { account?: { id?: string; email?: string } };
      expect(answer.account?.id).toBe(me.account.id);

      // Reflection does not describe what only workloads may call, and the Gateway does not route it.
      await expect(
        client.call('girok.identity.v1.IdentityService', 'Authenticate', { identifier: 'x', password: 'y' }),
      ).rejects.toThrow('reflection does not list girok.identity.v1.IdentityService/Authenticate');
      expect(await client.rawCall('girok.identity.v1.IdentityService', 'Authenticate')).toBe(
        GrpcStatus.UNIMPLEMENTED,
      );
      expect(await client.rawCall('girok.auth.v1.AuthService', 'IssueAccessToken')).toBe(
        GrpcStatus.UNIMPLEMENTED,
      );
    } finally {
      client.close();
    }
  });

  it('inside a Pod, identity.svc-dev.girok.dev resolves and answers gRPC health', async () => {
    const identityImage = pushed.find((p) => p.repository === 'girok/identity-service')?.reference ?? '';
    const script = [
      "const dns = require('node:dns').promises;",
      "const grpc = require('/app/node_modules/@grpc/grpc-js');",
      "const { service } = require('/app/node_modules/grpc-health-check');",
      "const host = 'identity.svc-dev.girok.dev';",
      'dns.resolve4(host).then((addresses) => {',
      "  const Health = grpc.makeGenericClientConstructor(service, 'Health');",
      "  const client = new Health(host + ':50051', grpc.credentials.createInsecure());",
      "  client.check({ service: '' }, { deadline: Date.now() + 10000 }, (error, answer) => {",
      '    console.log(JSON.stringify({ addresses, status: error ? String(error) : answer.status }));',
      '    process.exit(error ? 1 : 0);',
      '  });',
      '});',
    ].join('\n');
    await kubectl(
      '-n',
      NS,
      'run',
      'svc-name-check',
      '--restart=Never',
      `--image=${identityImage}`,
      '--command',
      '--',
      'node',
      '-e',
      script,
    );
    const phase = await until(
      'the check Pod to finish',
      async () => {
        const pod = await kubectlJson<PodObject>('-n', NS, 'get', 'pod', 'svc-name-check');
        return pod.status.phase === 'Succeeded' || pod.status.phase === 'Failed'
          ? pod.status.phase
          : undefined;
      },
      120_000,
    );
    const output = JSON.parse(
      (await kubectl('-n', NS, 'logs', 'svc-name-check')).trim().split('\n').pop() ?? '{}',
    ) as {
      addresses: string[];
      status: string;
    };
    const service = await kubectlJson<{ spec: { clusterIP: string } }>(
      '-n',
      NS,
      'get',
      'service',
      `${PLATFORM}-identity`,
    );
    expect({ phase, ...output }).toEqual({
      phase: 'Succeeded',
      addresses: [service.spec.clusterIP],
      status: 'SERVING',
    });
    await kubectl('-n', NS, 'delete', 'pod', 'svc-name-check', '--wait=false');
  });

  it('changing spec.version rolls every Deployment with zero failed requests from a client looping through the BFF', async () => {
    const registry = infraEnv('REGISTRY_ADDR');
    const built = await buildImages(defaultBuildOptions());
    pushed = await pushImages(built.layout, built.images, registry, '1.0.1');
    const browser = clusterBrowser(network, BFF_HOST);
    const { me } = await signedIn(browser);

    let stop = false;
    const outcomes = { ok: 0, failed: [] as string[] };
    const loop = (async () => {
      while (!stop) {
        try {
          const answer = await browser.graphql<{ me: { sessionId: string } }>('query { me { sessionId } }');
          if (answer.status === 200 && answer.data?.me.sessionId === me.sessionId) outcomes.ok += 1;
          else outcomes.failed.push(`${answer.status} ${JSON.stringify(answer.errors)}`);
        } catch (error) {
          outcomes.failed.push(String(error));
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();

    const imageDigests = Object.fromEntries(
      Object.entries(componentOf).map(([key, image]) => [key, digestOf(image)]),
    );
    await kubectl(
      '-n',
      NS,
      'patch',
      'girokplatform',
      PLATFORM,
      '--type',
      'merge',
      '-p',
      JSON.stringify({ spec: { version: '1.0.1', imageDigests } }),
    );
    await until(
      'every Deployment rolled to 1.0.1',
      async () => {
        const list = await deployments();
        const done = list.every(
          (d) => rolledOut(d) && d.spec.template.spec.containers[0]?.image.includes(':1.0.1@sha256:'),
        );
        if (!done) return undefined;
        const pods = (await kubectlJson<{ items: PodObject[] }>('-n', NS, 'get', 'pods')).items.filter(
          (p) => !p.metadata.name.startsWith('svc-name-check'),
        );
        return pods.length === 5 && pods.every((p) => isReady(p) && !p.metadata.deletionTimestamp)
          ? true
          : undefined;
      },
      600_000,
      async () => JSON.stringify((await deployments()).map((d) => [d.metadata.name, d.status])),
    );
    // A little longer: the old Pods' drain ends after the new ones are Ready.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    stop = true;
    await loop;
    console.info(`rollout to 1.0.1: ${outcomes.ok} requests answered, ${outcomes.failed.length} failed`);
    expect(outcomes.failed).toEqual([]);
    expect(outcomes.ok).toBeGreaterThan(100);
  });
});
