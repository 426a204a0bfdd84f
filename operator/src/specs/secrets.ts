import { randomBytes } from 'node:crypto';
import type { KubernetesObject, V1Deployment, V1EnvVar, V1Secret } from '@kubernetes/client-node';
import type { GeneratedKey } from './catalogue.ts';
import type { GatewayApiObject } from './gateway.ts';
import { componentLabels, type PlatformView, type ResolvedComponent } from './platform-view.ts';

// The Secrets of a platform: the key rings and peppers the operator generates once per component,
// how the components read every Secret (env from secretKeyRef, never a ConfigMap), and which
// Secrets the desired children reference, which the reconciler checks before calling it Ready.

/** The id of the first key of a generated ring; a rotation puts `k2:<new>` before it. */
export const FIRST_KEY_ID = 'k1';
/** On a generated Secret: it is created once and never written again by the operator. */
export const GENERATED_ANNOTATION = 'platform.girok.dev/generated';

/** 32 random bytes, base64: an AES-256 key or an HMAC pepper. */
const value = (format: GeneratedKey['format'], random: (bytes: number) => Buffer): string => {
  const material = random(32).toString('base64');
  return format === 'key-ring' ? `${FIRST_KEY_ID}:${material}` : material;
};

/**
 * The Secret of a component's key rings and peppers as the operator creates it when absent, and
 * never after (create-only: an existing Secret, rotated or restored by hand, is left as it is).
 * Owned by the platform only when the spec asks, since deleting the keys makes the data they
 * encrypted unreadable. Undefined for a component that needs no generated key.
 */
export function componentKeySecret(
  view: PlatformView,
  c: ResolvedComponent,
  random: (bytes: number) => Buffer = randomBytes,
): V1Secret | undefined {
  if (!c.generatedKeys?.length) return undefined;
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: c.keysSecretName,
      namespace: view.namespace,
      labels: componentLabels(view, c),
      annotations: {
        [GENERATED_ANNOTATION]:
          'created once by the girok operator and never overwritten; rotate by putting a new key first (k2:<base64>,k1:<base64>)',
      },
      ...(view.spec.keys.deleteWithPlatform ? { ownerReferences: [view.owner] } : {}),
    },
    type: 'Opaque',
    stringData: Object.fromEntries(c.generatedKeys.map((k) => [k.key, value(k.format, random)])),
  };
}

const fromSecret = (secret: string, env: string, key: string): V1EnvVar => ({
  name: env,
  valueFrom: { secretKeyRef: { name: secret, key } },
});

/**
 * The environment a component reads from Secrets: its generated keys, its database, the shared
 * Valkey URL and the brokers' SASL credentials. Values never pass through a ConfigMap.
 */
export function componentSecretEnv(view: PlatformView, c: ResolvedComponent): V1EnvVar[] {
  const env: V1EnvVar[] = [];
  for (const k of c.generatedKeys ?? []) env.push(fromSecret(c.keysSecretName, k.env, k.key));
  if (c.databaseEnv && c.databaseSecret) {
    env.push(fromSecret(c.databaseSecret.name, c.databaseEnv, c.databaseSecret.key));
  }
  if (c.usesValkey) env.push(fromSecret(view.valkeySecret.name, 'VALKEY_URL', view.valkeySecret.key));
  const sasl = view.spec.events?.authSecretName;
  if (sasl) {
    env.push(
      fromSecret(sasl, 'KAFKA_SASL_USERNAME', 'username'),
      fromSecret(sasl, 'KAFKA_SASL_PASSWORD', 'password'),
    );
  }
  return env;
}

/** A Secret the platform cannot run without, the keys read from it, and who reads them. */
export interface NeededSecret {
  readonly name: string;
  readonly keys: readonly string[];
  /** Components by name, or `the Gateway`. */
  readonly neededBy: readonly string[];
}

/**
 * Every Secret the desired children reference (Pods' env, envFrom and volumes, the Gateway's
 * certificates), read from the children themselves so a new reference is checked without a list
 * of its own: the user's Secrets and the generated key Secrets alike (the reconciler creates those
 * before it checks). References marked optional are left out. Pure.
 */
export function neededSecrets(children: readonly KubernetesObject[]): NeededSecret[] {
  const needed = new Map<string, { keys: Set<string>; neededBy: Set<string> }>();
  const need = (name: string, by: string, key?: string) => {
    const entry = needed.get(name) ?? { keys: new Set(), neededBy: new Set() };
    if (key !== undefined) entry.keys.add(key);
    entry.neededBy.add(by);
    needed.set(name, entry);
  };
  for (const child of children) {
    if (child.kind === 'Deployment') {
      const pod = (child as V1Deployment).spec?.template.spec;
      const by = child.metadata?.labels?.['app.kubernetes.io/name'] ?? child.metadata?.name ?? '';
      for (const container of [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])]) {
        for (const e of container.env ?? []) {
          const ref = e.valueFrom?.secretKeyRef;
          if (ref?.name && !ref.optional) need(ref.name, by, ref.key);
        }
        for (const e of container.envFrom ?? [])
          if (e.secretRef?.name && !e.secretRef.optional) need(e.secretRef.name, by);
      }
      for (const v of pod?.volumes ?? []) {
        if (v.secret?.secretName && !v.secret.optional) need(v.secret.secretName, by);
        for (const source of v.projected?.sources ?? [])
          if (source.secret?.name && !source.secret.optional) need(source.secret.name, by);
      }
    } else if (child.kind === 'Gateway') {
      const listeners = (child as GatewayApiObject).spec.listeners as
        | { tls?: { certificateRefs?: { kind?: string; name: string; namespace?: string }[] } }[]
        | undefined;
      for (const l of listeners ?? [])
        for (const ref of l.tls?.certificateRefs ?? [])
          if ((ref.kind ?? 'Secret') === 'Secret' && ref.name && !ref.namespace)
            need(ref.name, 'the Gateway');
    }
  }
  return [...needed].map(([name, { keys, neededBy }]) => ({
    name,
    keys: [...keys].sort(),
    neededBy: [...neededBy].sort(),
  }));
}
