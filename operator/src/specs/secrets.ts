import { randomBytes } from 'node:crypto';
import type { V1EnvVar, V1Secret } from '@kubernetes/client-node';
import type { GeneratedKey } from './catalogue.ts';
import { componentLabels, type PlatformView, type ResolvedComponent } from './platform-view.ts';

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
      ...(view.keysDeleteWithPlatform ? { ownerReferences: [view.owner] } : {}),
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
  if (view.kafkaSasl) {
    env.push(
      fromSecret(view.kafkaSasl.secretName, 'KAFKA_SASL_USERNAME', 'username'),
      fromSecret(view.kafkaSasl.secretName, 'KAFKA_SASL_PASSWORD', 'password'),
    );
  }
  return env;
}
