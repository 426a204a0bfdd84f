import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { exec, goModuleDir, infraEnv, versions } from '@girok/e2e/infra';
import { ApiextensionsV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import type { GirokPlatform } from '../src/api/platform.ts';
import {
  condition,
  createPlatformSecrets,
  kubeConfig,
  kubectl,
  kubectlApply,
  operatorUnderTest,
  platform,
  readPlatform,
  suiteNamespace,
  until,
} from './support.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const argocdDir = path.join(repo, 'deploy/argocd');
const healthLua = path.join(repo, 'charts/girok-operator/argocd/girokplatform-health.lua');

interface Application {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  spec: {
    source: { repoURL: string; path: string; helm?: { releaseName?: string } };
    destination: { server: string; namespace: string };
    syncPolicy?: { automated?: { prune?: boolean }; syncOptions?: string[] };
  };
}

const readApp = (file: string) => parse(fs.readFileSync(path.join(argocdDir, file), 'utf8')) as Application;
const wave = (app: Application) => Number(app.metadata.annotations?.['argocd.argoproj.io/sync-wave'] ?? '0');

/** Installs Argo CD's own CRDs (Application, AppProject, ApplicationSet) from its Go module, as released. */
async function installArgoCdCrds(): Promise<void> {
  const argocd = await goModuleDir(`github.com/argoproj/argo-cd/v3@v${versions.argoCd}`);
  const crds = path.join(argocd, 'manifests/crds');
  for (const file of ['application-crd.yaml', 'appproject-crd.yaml', 'applicationset-crd.yaml'])
    await kubectl('apply', '--server-side', '--force-conflicts', '-f', path.join(crds, file));
  const api = kubeConfig().makeApiClient(ApiextensionsV1Api);
  for (const name of ['applications.argoproj.io', 'appprojects.argoproj.io', 'applicationsets.argoproj.io'])
    await until(`CRD ${name} to be Established`, async () => {
      const crd = await api.readCustomResourceDefinition({ name });
      return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
    });
}

/** Server-side apply of a manifest into the test's namespace, with the API server's strict field validation. */
async function apply(object: object): Promise<string> {
  const file = path.join(
    os.tmpdir(),
    `girok-argocd-${process.pid}-${Math.random().toString(36).slice(2)}.yaml`,
  );
  fs.writeFileSync(file, stringify(object));
  try {
    return await kubectl('apply', '--server-side', '--field-manager=argocd-test', '-f', file);
  } finally {
    fs.rmSync(file, { force: true });
  }
}

describe('the Argo CD Applications in deploy/argocd', () => {
  const { ns, kc } = suiteNamespace('argocd');
  const root = readApp('girok.yaml');
  const operatorApp = readApp('apps/girok-operator.yaml');
  const platformApp = readApp('apps/girok-platform.yaml');
  const inNamespace = (app: Application): Application => ({
    ...app,
    metadata: { ...app.metadata, namespace: ns },
  });

  beforeAll(installArgoCdCrds);

  it('are accepted by the Application CRD of the pinned Argo CD release, field for field', async () => {
    const custom = kc.makeApiClient(CustomObjectsApi);
    for (const app of [root, operatorApp, platformApp]) {
      expect(app.metadata.namespace).toBe('argocd');
      await apply(inNamespace(app));
      const live = (await custom.getNamespacedCustomObject({
        group: 'argoproj.io',
        version: 'v1alpha1',
        plural: 'applications',
        namespace: ns,
        name: app.metadata.name,
      })) as Application;
      // A structural schema drops what it does not know; nothing was dropped.
      expect(live.spec).toEqual(app.spec);
      expect(live.metadata.annotations ?? {}).toMatchObject(app.metadata.annotations ?? {});
    }
  });

  it('would be refused with a misspelt field (the check above can fail)', async () => {
    const typo = inNamespace({
      ...platformApp,
      metadata: { name: 'typo' },
      spec: { ...platformApp.spec, syncPolicy: { automated: { prun: true } } as never },
    });
    await expect(apply(typo)).rejects.toThrow(
      /\.spec\.syncPolicy\.automated\.prun: field not declared in schema/,
    );
  });

  it('sync the operator and its CRD in an earlier wave than the GirokPlatform', async () => {
    // The root syncs exactly the two Applications, each in its wave.
    expect(root.spec.source.path).toBe('deploy/argocd/apps');
    expect(fs.readdirSync(path.join(argocdDir, 'apps')).sort()).toEqual([
      'girok-operator.yaml',
      'girok-platform.yaml',
    ]);
    expect(wave(operatorApp)).toBeLessThan(wave(platformApp));

    // The operator Application's source is this chart, and its CRD comes with it: Argo CD renders
    // Helm charts with their crds/ folder and applies CRDs ahead of the other kinds of a sync.
    expect(operatorApp.spec.source.path).toBe('charts/girok-operator');
    const rendered = parseAllDocuments(
      await exec(infraEnv('HELM'), [
        'template',
        operatorApp.spec.source.helm?.releaseName ?? 'girok-operator',
        path.join(repo, operatorApp.spec.source.path),
        '--namespace',
        operatorApp.spec.destination.namespace,
        '--include-crds',
        '--kube-version',
        versions.kubernetes,
      ]),
    ).map((d) => d.toJS() as { kind: string; spec?: { names?: { kind?: string } } });
    expect(rendered.find((o) => o.kind === 'CustomResourceDefinition')?.spec?.names?.kind).toBe(
      'GirokPlatform',
    );
    expect(rendered.some((o) => o.kind === 'GirokPlatform')).toBe(false);

    // The platform Application holds a kind another Application brings: no dry run while it is
    // missing, retries until it is there, and no pruning of a running platform.
    expect(platformApp.spec.syncPolicy?.syncOptions).toContain('SkipDryRunOnMissingResource=true');
    expect(platformApp.spec.syncPolicy?.automated?.prune).toBe(false);
    for (const app of [operatorApp, platformApp])
      expect(app.spec.syncPolicy?.syncOptions).toContain('ServerSideApply=true');
  });
});

/** A Lua 5.1 string literal: quotes, backslashes and control characters escaped as `\ddd`. */
const luaString = (s: string) => {
  const literal = (c: string) => {
    const code = c.charCodeAt(0);
    return c === '\\' || c === '"' || code < 0x20 || code === 0x7f ? `\\${String(code).padStart(3, '0')}` : c;
  };
  return `"${[...s].map(literal).join('')}"`;
};

/** JSON -> Lua table constructor, so an object can be handed to the health script. */
const lua = (v: unknown): string => {
  if (v === null || v === undefined) return 'nil';
  if (Array.isArray(v)) return `{${v.map(lua).join(',')}}`;
  if (typeof v === 'object')
    return `{${Object.entries(v)
      .map(([k, x]) => `[${luaString(k)}]=${lua(x)}`)
      .join(',')}}`;
  return typeof v === 'string' ? luaString(v) : JSON.stringify(v);
};

/**
 * Runs the health check as Argo CD does: in gopher-lua (the harness's `lua` tool), with the object
 * as the global `obj` and the script's return value as the health, and with only the libraries Argo
 * CD opens for a custom check (base, table and a safe os; no string, io or debug), so a script that
 * needs more fails here as it would there.
 */
async function health(obj: unknown): Promise<{ status: string; message: string }> {
  const script = `
local env = { ipairs = ipairs, pairs = pairs, next = next, type = type, tostring = tostring,
  tonumber = tonumber, select = select, error = error, assert = assert, pcall = pcall,
  unpack = unpack, table = table, os = { time = os.time, date = os.date, clock = os.clock } }
env.obj = ${lua(obj)}
local f = assert(io.open(${JSON.stringify(healthLua)}))
local src = f:read("*a")
f:close()
local check = assert(loadstring(src, "=girokplatform-health.lua"))
setfenv(check, env)
local hs = check()
print(hs.status .. "|" .. hs.message)`;
  const out = await exec(infraEnv('LUA'), ['-e', script]);
  const [status = '', message = ''] = out.trim().split('|');
  return { status, message };
}

/** The object as Argo CD's cache holds it: what `kubectl get -o json` returns. */
const live = async (ns: string, name: string) =>
  JSON.parse(await kubectl('-n', ns, 'get', `girokplatform/${name}`, '-o', 'json')) as GirokPlatform;

describe('the Argo CD health check on statuses the operator wrote', () => {
  const { ns, kc } = suiteNamespace('argohealth');
  let op: ReturnType<typeof operatorUnderTest>;

  beforeAll(async () => {
    op = operatorUnderTest(kc);
    await op.controller.start();
  });

  afterAll(async () => {
    await op?.controller.stop();
  });

  const observed = (name: string, test: (p: GirokPlatform) => boolean) =>
    until(
      `${name} observed at its generation`,
      async () => {
        const p = await readPlatform(kc, ns, name);
        return p.status?.observedGeneration === p.metadata?.generation && test(p) ? p : undefined;
      },
      150_000,
    );

  // One Pod per component for the Ready case, none where only routes or topics matter: fewer Pods
  // for the shared test cluster to schedule.
  const pods = (replicas: number) => ({
    services: Object.fromEntries(
      ['identity', 'auth', 'legal', 'authBff', 'audit'].map((key) => [key, { replicas }]),
    ),
  });

  it('is Healthy for a Ready platform, and Progressing once its spec moves ahead of the status', async () => {
    await createPlatformSecrets(kc, ns, 'ready');
    await kubectlApply(platform(ns, 'ready', pods(1)));
    await observed('ready', (p) => condition(p, 'Ready')?.status === 'True');
    expect(await health(await live(ns, 'ready'))).toEqual({
      status: 'Healthy',
      message: 'every component, route, DNS name and topic is in place',
    });

    // Paused, the operator writes nothing: the new generation stays unobserved behind a Ready=True.
    await kubectl('-n', ns, 'annotate', 'girokplatform/ready', 'platform.girok.dev/paused=true');
    await kubectlApply(
      platform(ns, 'ready', { services: { ...pods(1).services, identity: { replicas: 2 } } }),
    );
    const stale = await live(ns, 'ready');
    expect(stale.metadata?.generation).toBeGreaterThan(stale.status?.observedGeneration ?? 0);
    expect(condition(stale, 'Ready')?.status).toBe('True');
    expect((await health(stale)).status).toBe('Progressing');
  }, 240_000);

  it('is Progressing while the routes wait for the Gateway, with the operator’s own words', async () => {
    await kubectlApply(
      platform(ns, 'routes', { ...pods(0), gateway: { enabled: true, tlsSecretName: 'girok-tls' } }),
    );
    const waiting = await observed('routes', (p) => condition(p, 'RoutesReady')?.status === 'False');
    expect(condition(waiting, 'Degraded')?.status).toBe('False');
    const hs = await health(await live(ns, 'routes'));
    expect(hs.status).toBe('Progressing');
    expect(hs.message).toBe(condition(waiting, 'Ready')?.message);
  }, 240_000);

  it('is Degraded when the brokers cannot be reached, naming the failure', async () => {
    await kubectlApply(platform(ns, 'broker', { ...pods(0), events: { brokers: ['127.0.0.1:1'] } }));
    const degraded = await observed('broker', (p) => condition(p, 'Degraded')?.status === 'True');
    expect(await health(await live(ns, 'broker'))).toEqual({
      status: 'Degraded',
      message: condition(degraded, 'Degraded')?.message,
    });
  }, 240_000);

  it('is Progressing before the operator wrote any status', async () => {
    expect(await health({ metadata: { generation: 1 } })).toEqual({
      status: 'Progressing',
      message: 'Waiting for the operator to observe this generation',
    });
  });
});
