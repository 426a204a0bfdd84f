import { Resolver } from 'node:dns/promises';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort, infraEnv, issueTestCertificate, resolveA, startCoreDns } from '@girok/e2e/infra';
import * as grpc from '@grpc/grpc-js';
import { CoreV1Api, CustomObjectsApi, DiscoveryV1Api } from '@kubernetes/client-node';
import { HealthImplementation } from 'grpc-health-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRoute, grpcRoute } from '../src/specs/gateway.ts';
import { viewOf } from '../src/specs/platform-view.ts';
import {
  condition,
  kubectl,
  kubectlApply,
  operatorUnderTest,
  platform,
  readPlatform,
  suiteNamespace,
  until,
} from './support.ts';

// The operator's Gateway and routes programmed by a real Gateway API implementation (Traefik, the
// harness's `gateway` server), reached by name through a real CoreDNS loaded with the operator's
// snippet, over TLS from a CA of the test's own, to backends on the host address.

interface Conditioned {
  status?: {
    conditions?: { type: string; status: string }[];
    listeners?: { name: string; conditions?: { type: string; status: string }[] }[];
    parents?: { controllerName: string; conditions?: { type: string; status: string }[] }[];
    addresses?: { value: string }[];
  };
}
const isTrue = (conditions: { type: string; status: string }[] | undefined, type: string) =>
  conditions?.some((c) => c.type === type && c.status === 'True') === true;

/** A CA of this run and a wildcard server certificate it signs. */
async function testCertificates(dir: string, domain: string) {
  const tls = await issueTestCertificate({
    dir,
    name: 'tls',
    commonName: `*.${domain}`,
    dnsNames: [`*.${domain}`],
    days: 1,
  });
  return {
    ca: fs.readFileSync(tls.caFile),
    cert: fs.readFileSync(tls.certFile),
    key: fs.readFileSync(tls.keyFile),
  };
}

type GrpcRules = { matches: { method: { service: string; method: string } }[] }[];
const publishedMethods = (view: ReturnType<typeof viewOf>) =>
  ((grpcRoute(view)?.spec.rules ?? []) as GrpcRules).flatMap((r) => r.matches.map((m) => m.method));

/** A resolver for node's sockets that asks only the given CoreDNS. */
function lookupThrough(port: number): LookupFunction {
  const resolver = new Resolver({ timeout: 1000, tries: 2 });
  resolver.setServers([`127.0.0.1:${port}`]);
  return (hostname, options, callback) => {
    resolver.resolve4(hostname).then(
      (addresses) => {
        const address = addresses[0] ?? '';
        if (options.all) callback(null, [{ address, family: 4 }]);
        else callback(null, address, 4);
      },
      (error: NodeJS.ErrnoException) => callback(error, ''),
    );
  };
}

describe('the Gateway and routes, programmed by Traefik and reached by name over TLS', () => {
  const { ns, kc } = suiteNamespace('gw');
  const domain = 'girok.dev';
  const environment = `gw${ns.slice(-4)}`;
  const spec = {
    environment,
    domain,
    gateway: { className: infraEnv('GATEWAY_CLASS'), tlsSecretName: 'girok-tls' },
  };
  const view = viewOf(platform(ns, 'girok', spec));
  const host = infraEnv('GATEWAY_ADDRESS');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'girok-gateway-'));
  let ca: Buffer;
  let restServer: http.Server;
  let grpcServer: grpc.Server;
  let grpcPort: number;
  let coredns: Awaited<ReturnType<typeof startCoreDns>>;
  const seen: { method: string | undefined; url: string | undefined; forwardedFor: string }[] = [];

  beforeAll(async () => {
    const tls = await testCertificates(dir, domain);
    ca = tls.ca;
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespacedSecret({
      namespace: ns,
      body: {
        metadata: { name: 'girok-tls' },
        type: 'kubernetes.io/tls',
        data: { 'tls.crt': tls.cert.toString('base64'), 'tls.key': tls.key.toString('base64') },
      },
    });

    // The backends: every component's Service resolves to these two servers on the host address.
    restServer = http.createServer((req, res) => {
      seen.push({ method: req.method, url: req.url, forwardedFor: String(req.headers['x-forwarded-for']) });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ backend: 'rest' }));
    });
    const restPort = await freePort();
    await new Promise<void>((resolve) => restServer.listen(restPort, host, resolve));
    grpcServer = new grpc.Server();
    const published = publishedMethods(view);
    const raw = (b: Buffer) => b;
    grpcServer.addService(
      Object.fromEntries(
        published.map((m) => [
          `${m.service}/${m.method}`,
          {
            path: `/${m.service}/${m.method}`,
            requestStream: false,
            responseStream: false,
            requestSerialize: raw,
            requestDeserialize: raw,
            responseSerialize: raw,
            responseDeserialize: raw,
          },
        ]),
      ),
      Object.fromEntries(
        published.map((m) => [
          `${m.service}/${m.method}`,
          (_call: unknown, done: grpc.sendUnaryData<Buffer>) =>
            done(null, Buffer.from(`${m.service}/${m.method}`)),
        ]),
      ),
    );
    new HealthImplementation({ '': 'SERVING' }).addToServer(grpcServer);
    grpcPort = await freePort();
    await new Promise<void>((resolve, reject) =>
      grpcServer.bindAsync(`${host}:${grpcPort}`, grpc.ServerCredentials.createInsecure(), (e) =>
        e ? reject(e) : resolve(),
      ),
    );

    await kubectlApply(
      platform(ns, 'girok', {
        ...spec,
        // No Pods (the fake node's addresses lead nowhere): each Service's endpoints are the host's servers.
        services: Object.fromEntries(
          ['identity', 'auth', 'legal', 'authBff', 'audit'].map((k) => [k, { replicas: 0 }]),
        ),
      }),
    );
    const { reconciler } = operatorUnderTest(kc);
    await reconciler.reconcile(ns, 'girok');
    const discovery = kc.makeApiClient(DiscoveryV1Api);
    for (const c of view.components) {
      await discovery.createNamespacedEndpointSlice({
        namespace: ns,
        body: {
          metadata: {
            name: `${c.objectName}-host`,
            labels: {
              'kubernetes.io/service-name': c.objectName,
              'endpointslice.kubernetes.io/managed-by': 'girok-test',
            },
          },
          addressType: 'IPv4',
          endpoints: [{ addresses: [host], conditions: { ready: true } }],
          ports: [
            { name: 'http', port: restPort, protocol: 'TCP' },
            { name: 'grpc', port: grpcPort, protocol: 'TCP' },
          ],
        },
      });
    }
  }, 120_000);

  afterAll(async () => {
    await coredns?.stop();
    grpcServer?.forceShutdown();
    restServer?.close();
    await kubectl('-n', ns, 'delete', 'girokplatform/girok', '--wait=false').catch(() => {});
    await operatorUnderTest(kc).reconciler.reconcile(ns, 'girok');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('has Traefik accept the Gateway and every route with resolved refs, and the operator see it', async () => {
    const custom = kc.makeApiClient(CustomObjectsApi);
    const read = (plural: string, name: string) =>
      custom.getNamespacedCustomObject({
        group: 'gateway.networking.k8s.io',
        version: 'v1',
        plural,
        namespace: ns,
        name,
      }) as Promise<Conditioned>;
    const gateway = await until('the Gateway to be Programmed', async () => {
      const g = await read('gateways', 'girok');
      return isTrue(g.status?.conditions, 'Accepted') && isTrue(g.status?.conditions, 'Programmed') && g;
    });
    expect(gateway.status?.addresses?.map((a) => a.value)).toEqual([host]);
    for (const l of gateway.status?.listeners ?? []) {
      expect({ listener: l.name, resolved: isTrue(l.conditions, 'ResolvedRefs') }).toEqual({
        listener: l.name,
        resolved: true,
      });
    }
    for (const [plural, name] of [
      ['grpcroutes', 'girok-grpc'],
      ['httproutes', 'girok-api'],
      ['httproutes', 'girok-bff'],
    ] as const) {
      const route = await until(`${name} to be Accepted`, async () => {
        const r = await read(plural, name);
        return (r.status?.parents?.length ?? 0) > 0 && r;
      });
      const parent = route.status?.parents?.[0];
      expect(parent?.controllerName).toBe('traefik.io/gateway-controller');
      expect({
        name,
        accepted: isTrue(parent?.conditions, 'Accepted'),
        resolved: isTrue(parent?.conditions, 'ResolvedRefs'),
      }).toEqual({
        name,
        accepted: true,
        resolved: true,
      });
    }
    const { reconciler } = operatorUnderTest(kc);
    const observed = await until('RoutesReady on the platform', async () => {
      await reconciler.reconcile(ns, 'girok');
      const p = await readPlatform(kc, ns, 'girok');
      return condition(p, 'RoutesReady')?.status === 'True' && p;
    });
    expect(observed.status?.endpoints).toMatchObject({
      grpc: `${view.hosts.grpc}:443`,
      api: `https://${view.hosts.api}`,
    });
  });

  it('answers the public hosts with the Gateway’s address from the operator’s CoreDNS snippet', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const snippet = await until('the snippet with the public hosts', async () => {
      const data = (await core.readNamespacedConfigMap({ namespace: 'kube-system', name: 'coredns-custom' }))
        .data;
      const content = data?.[`girok-${ns}-girok.override`];
      return content?.includes('template IN A') && content;
    });
    const port = await freePort();
    coredns = await startCoreDns({
      binary: infraEnv('COREDNS_BIN'),
      dir: path.join(dir, 'coredns'),
      port,
      probeName: 'kubernetes.default.svc.cluster.local',
      corefile: `.:${port} {\n    bind 127.0.0.1\n${snippet
        .trim()
        .split('\n')
        .map((l) => `    ${l}`)
        .join(
          '\n',
        )}\n    kubernetes cluster.local {\n        kubeconfig ${infraEnv('KUBECONFIG')} girok-infra\n    }\n}\n`,
    });
    for (const name of [view.hosts.api, view.hosts.bff, view.hosts.grpc]) {
      expect({ name, addresses: await resolveA(port, name) }).toEqual({ name, addresses: [host] });
    }
    // Beside the templates, the rewrite rules of the same snippet still answer.
    const identity = await core.readNamespacedService({ namespace: ns, name: 'girok-identity' });
    expect(await resolveA(port, `identity.${view.zone}`)).toEqual([identity.spec?.clusterIP]);
    expect(await resolveA(port, `x.${view.hosts.api}`)).toEqual([]);
  });

  const request = (url: string, method: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = https.request(
        url,
        { method, ca, lookup: lookupThrough(coredns.port), timeout: 5000 },
        (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => {
            body += chunk.toString();
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end();
    });

  it('carries a published REST call over HTTPS to the backend, and refuses what the routes do not list', async () => {
    const rules = apiRoute(view)?.spec.rules as {
      matches: { path: { type: string; value: string }; method: string }[];
    }[];
    const exact = rules.flatMap((r) => r.matches).find((m) => m.path.type === 'Exact');
    if (!exact) throw new Error('the API route has no exact path to call');
    const answer = await until('the API host to route', async () => {
      const a = await request(`https://${view.hosts.api}${exact.path.value}`, exact.method);
      return a.status === 200 && a;
    });
    expect(JSON.parse(answer.body)).toEqual({ backend: 'rest' });
    expect(seen.at(-1)).toMatchObject({ method: exact.method, url: exact.path.value, forwardedFor: host });
    const before = seen.length;
    expect((await request(`https://${view.hosts.api}/metrics`, 'GET')).status).toBe(404);
    expect((await request(`https://${view.hosts.api}/v1/not-in-the-contract`, 'GET')).status).toBe(404);
    expect(seen.length).toBe(before);
    // The BFF host routes everything under / to the BFF.
    expect((await request(`https://${view.hosts.bff}/anything`, 'GET')).status).toBe(200);
  });

  it('carries a published gRPC method over TLS to the backend, and not the health service', async () => {
    const first = publishedMethods(view)[0];
    if (!first) throw new Error('the gRPC route publishes no method');
    // grpc-js asks a target's DNS authority only behind an environment switch read at load: the
    // test resolves the name through CoreDNS itself and keeps the name for TLS and :authority.
    const [address] = await resolveA(coredns.port, view.hosts.grpc);
    const client = new grpc.Client(`ipv4:${address}:443`, grpc.credentials.createSsl(ca), {
      'grpc.ssl_target_name_override': view.hosts.grpc,
      'grpc.default_authority': view.hosts.grpc,
    });
    const direct = new grpc.Client(`${host}:${grpcPort}`, grpc.credentials.createInsecure());
    const raw = (b: Buffer) => b;
    const unary = (via: grpc.Client, service: string, method: string) =>
      new Promise<Buffer>((resolve, reject) =>
        via.makeUnaryRequest(`/${service}/${method}`, raw, raw, Buffer.alloc(0), (e, v) =>
          e || !v ? reject(e) : resolve(v),
        ),
      );
    try {
      const reply = await until(
        'the gRPC host to route',
        () => unary(client, first.service, first.method),
        20_000,
      );
      expect(reply.toString()).toBe(`${first.service}/${first.method}`);
      // The backend serves health (status SERVING = field 1, value 1); the Gateway does not route it.
      expect([...(await unary(direct, 'grpc.health.v1.Health', 'Check'))]).toEqual([0x08, 0x01]);
      await expect(unary(client, 'grpc.health.v1.Health', 'Check')).rejects.toMatchObject({
        code: grpc.status.UNIMPLEMENTED,
      });
    } finally {
      client.close();
      direct.close();
    }
  });
});
