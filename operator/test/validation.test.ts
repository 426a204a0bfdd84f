import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiException, CustomObjectsApi, type KubernetesObject } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import type { GirokPlatform } from '../src/api/platform.ts';
import { kubectl, platform, suiteNamespace } from './support.ts';

describe('the API server validates a GirokPlatform with readable messages', () => {
  const { ns, kc } = suiteNamespace('gpv');
  let custom: CustomObjectsApi;
  const crd = { group: 'platform.girok.dev', version: 'v1alpha1', plural: 'girokplatforms', namespace: ns };

  beforeAll(async () => {
    custom = kc.makeApiClient(CustomObjectsApi);
  });

  const rejection = async (body: GirokPlatform, create = true): Promise<string> => {
    try {
      if (create) await custom.createNamespacedCustomObject({ ...crd, body });
      else await custom.replaceNamespacedCustomObject({ ...crd, name: body.metadata?.name ?? '', body });
    } catch (e) {
      // The Status message, as kubectl prints it.
      if (e instanceof ApiException && e.code === 422)
        return (JSON.parse(String(e.body)) as { message: string }).message;
      throw e;
    }
    throw new Error('the API server accepted it');
  };

  it('accepts a minimal platform', async () => {
    const created = (await custom.createNamespacedCustomObject({
      ...crd,
      body: platform(ns, 'least'),
    })) as GirokPlatform;
    expect(created.metadata?.uid).toBeTruthy();
  });

  const examplesDir = fileURLToPath(new URL('../examples/', import.meta.url));
  const examples = fs.readdirSync(examplesDir).filter((f) => f.endsWith('.yaml'));
  const documents = (example: string) =>
    parseAllDocuments(fs.readFileSync(path.join(examplesDir, example), 'utf8')).map(
      (d) => d.toJS() as KubernetesObject,
    );
  const platformOf = (example: string) => {
    const found = documents(example).find((d) => d.kind === 'GirokPlatform');
    if (!found) throw new Error(`${example} has no GirokPlatform`);
    return found;
  };

  it.each(examples)(
    'accepts examples/%s, whose Namespace object (if any) is the platform’s',
    async (example) => {
      const gp = platformOf(example);
      const namespace = documents(example).find((d) => d.kind === 'Namespace');
      if (namespace) expect(namespace.metadata?.name).toBe(gp.metadata?.namespace);
      const file = path.join(os.tmpdir(), `girok-${ns}-${example}`);
      fs.writeFileSync(file, stringify({ ...gp, metadata: { ...gp.metadata, namespace: ns } }));
      const out = await kubectl('apply', '--dry-run=server', '-f', file).finally(() =>
        fs.rmSync(file, { force: true }),
      );
      expect(out).toMatch(
        new RegExp(
          `girokplatform.platform.girok.dev/${gp.metadata?.name} (created|configured) \\(server dry run\\)`,
        ),
      );
    },
  );

  it('gives each example its own name, namespace and environment, so they can be applied side by side', () => {
    const keys = (key: (gp: KubernetesObject & { spec?: { environment?: string } }) => unknown) =>
      new Set(examples.map((e) => key(platformOf(e)))).size;
    expect(keys((gp) => gp.metadata?.name)).toBe(examples.length);
    expect(keys((gp) => gp.metadata?.namespace)).toBe(examples.length);
    expect(keys((gp) => gp.spec?.environment)).toBe(examples.length);
  });

  it('refuses more than 100 replicas', async () => {
    expect(await rejection(platform(ns, 'big', { services: { identity: { replicas: 101 } } }))).toContain(
      'spec.services.identity.replicas: Invalid value: 101: spec.services.identity.replicas in body should be less than or equal to 100',
    );
  });

  it('refuses a domain that is not a DNS name', async () => {
    expect(await rejection(platform(ns, 'bad-domain', { domain: 'Girok_Dev' }))).toContain(
      'spec.domain: Invalid value: "Girok_Dev"',
    );
  });

  it('refuses an enabled gateway without a TLS Secret', async () => {
    expect(await rejection(platform(ns, 'no-tls', { gateway: { enabled: true } }))).toContain(
      'gateway.tlsSecretName is required when the gateway is enabled',
    );
  });

  it('refuses a topic with no partitions', async () => {
    const body = platform(ns, 'no-partitions', {
      events: { brokers: ['kafka:9092'], topics: [{ name: 'x.v1', partitions: 0 }] },
    });
    expect(await rejection(body)).toContain('spec.events.topics[0].partitions: Invalid value: 0');
  });

  it('refuses a network-policy peer that selects nothing', async () => {
    const body = platform(ns, 'empty-peer', { networkPolicy: { enabled: true, monitoring: {} } });
    expect(await rejection(body)).toContain('a peer needs namespaceLabels, podLabels or both');
  });

  it('refuses to change the environment of an existing platform', async () => {
    const current = (await custom.getNamespacedCustomObject({ ...crd, name: 'least' })) as GirokPlatform;
    current.spec.environment = 'prod';
    expect(await rejection(current, false)).toContain(
      'environment is immutable; create a new GirokPlatform instead',
    );
  });
});
