import type { KubernetesObject } from '@kubernetes/client-node';
import type { JsonSchema } from './from-schema.ts';
import { type ComponentKey, GROUP, KIND, PLURAL, VERSION } from './platform.ts';

// The one source of the GirokPlatform CRD and of its TypeScript types (platform.ts derives them
// with FromSchema). `npm run generate -w operator` writes it to crds/; a test fails when the
// committed file drifts from this.

const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
const DNS_SUBDOMAIN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';

const hostname = { type: 'string', maxLength: 253, pattern: DNS_SUBDOMAIN } as const satisfies JsonSchema;
const quantityMap = {
  type: 'object',
  additionalProperties: {
    'x-kubernetes-int-or-string': true,
    anyOf: [{ type: 'integer' }, { type: 'string' }],
  },
} as const satisfies JsonSchema;
/** A Secret and a key in it (the key has a default). */
export const secretKeyRefSchema = {
  type: 'object',
  required: ['name'],
  properties: {
    name: { type: 'string', maxLength: 253, pattern: DNS_SUBDOMAIN },
    key: { type: 'string', minLength: 1, maxLength: 253, default: 'url' },
  },
} as const satisfies JsonSchema;

const labelMap = {
  type: 'object',
  additionalProperties: { type: 'string', maxLength: 63 },
} as const satisfies JsonSchema;
const peerSelector = {
  type: 'object',
  properties: { namespaceLabels: labelMap, podLabels: labelMap },
  'x-kubernetes-validations': [
    {
      rule: 'has(self.namespaceLabels) || has(self.podLabels)',
      message: 'a peer needs namespaceLabels, podLabels or both',
    },
  ],
} as const satisfies JsonSchema;

const componentProperties = {
  replicas: { type: 'integer', minimum: 0, maximum: 100, default: 2, description: 'Pods to run.' },
  resources: {
    type: 'object',
    properties: { requests: quantityMap, limits: quantityMap },
    default: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } },
  },
} as const satisfies Record<string, JsonSchema>;
const withDatabase = {
  ...componentProperties,
  database: {
    ...secretKeyRefSchema,
    description: 'Secret with the database URL (default <name>-<component>-database, key url).',
  },
} as const satisfies Record<string, JsonSchema>;

const digest = (key: ComponentKey) =>
  ({
    type: 'string',
    pattern: '^sha256:[a-f0-9]{64}$',
    description: `Digest of the ${key} image.`,
  }) as const satisfies JsonSchema;

/** `spec` of a GirokPlatform. */
export const platformSpecSchema = {
  type: 'object',
  required: ['environment', 'domain', 'version', 'imageRegistry'],
  properties: {
    environment: {
      type: 'string',
      minLength: 1,
      maxLength: 20,
      pattern: DNS_LABEL,
      description:
        'Environment name (dev, stage, prod): names the gRPC host grpc-<environment>.<domain> and the DNS zone svc-<environment>.<domain>. Immutable.',
      'x-kubernetes-validations': [
        { rule: 'self == oldSelf', message: 'environment is immutable; create a new GirokPlatform instead' },
      ],
    },
    domain: { ...hostname, minLength: 1, description: 'Base domain, e.g. girok.dev.' },
    version: {
      type: 'string',
      pattern: '^v?[0-9]+\\.[0-9]+\\.[0-9]+(-[0-9A-Za-z.-]+)?$',
      description: 'Image tag of every component (semver).',
    },
    imageRegistry: {
      type: 'string',
      minLength: 1,
      maxLength: 200,
      description: 'Registry and path prefix, e.g. ghcr.io/girok.',
    },
    imageDigests: {
      type: 'object',
      description:
        'Image digests per component (keys as in services), e.g. what `./girok images --push` prints. A pinned component runs <imageRegistry>/<image>:<version>@<digest> (the digest is what runs; the tag keeps a version change a rollout); the others <imageRegistry>/<image>:<version>.',
      properties: {
        identity: digest('identity'),
        auth: digest('auth'),
        legal: digest('legal'),
        authBff: digest('authBff'),
        audit: digest('audit'),
      },
    },
    services: {
      type: 'object',
      default: {},
      properties: {
        identity: { type: 'object', description: 'identity-service', properties: withDatabase, default: {} },
        auth: { type: 'object', description: 'auth-service', properties: withDatabase, default: {} },
        legal: { type: 'object', description: 'legal-service', properties: withDatabase, default: {} },
        authBff: { type: 'object', description: 'auth-bff', properties: componentProperties, default: {} },
        audit: {
          type: 'object',
          description: 'audit-service (database = the ClickHouse URL)',
          properties: withDatabase,
          default: {},
        },
      },
    },
    gateway: {
      type: 'object',
      default: {},
      properties: {
        enabled: {
          type: 'boolean',
          // No schema default: unset means "on once tlsSecretName is set" (computed in the view).
          description: 'Create the Gateway and its routes (default: true once tlsSecretName is set).',
        },
        className: {
          type: 'string',
          minLength: 1,
          maxLength: 253,
          default: 'cilium',
          description: 'GatewayClass.',
        },
        tlsSecretName: {
          type: 'string',
          maxLength: 253,
          pattern: DNS_SUBDOMAIN,
          description:
            'TLS certificate Secret (kubernetes.io/tls, in the platform namespace) for the HTTPS listeners; required when the gateway is enabled.',
        },
        hosts: {
          type: 'object',
          properties: { api: hostname, bff: hostname, grpc: hostname },
          description:
            'Host overrides; defaults api-<env>.<domain>, bff-<env>.<domain>, grpc-<env>.<domain>.',
        },
        trustedProxies: {
          type: 'array',
          maxItems: 32,
          default: [],
          items: {
            type: 'string',
            maxLength: 43,
            pattern: '^[0-9A-Fa-f.:]+(/[0-9]{1,3})?$',
          },
          description:
            "The Gateway's addresses (CIDRs). The BFF takes the client address from X-Forwarded-For only when the peer is one of them (none: X-Forwarded-For ignored).",
        },
      },
      'x-kubernetes-validations': [
        {
          rule: '!(has(self.enabled) && self.enabled) || has(self.tlsSecretName)',
          message: 'gateway.tlsSecretName is required when the gateway is enabled',
        },
      ],
    },
    dns: {
      type: 'object',
      default: {},
      properties: {
        enabled: { type: 'boolean', default: true, description: 'Write the CoreDNS rewrite snippet.' },
        corednsNamespace: {
          type: 'string',
          maxLength: 63,
          pattern: DNS_LABEL,
          default: 'kube-system',
          description: "Namespace of the ConfigMap the cluster's CoreDNS imports extra config from.",
        },
        corednsConfigMap: {
          type: 'string',
          maxLength: 253,
          pattern: DNS_SUBDOMAIN,
          default: 'coredns-custom',
          description: "The ConfigMap the cluster's CoreDNS imports extra config from.",
        },
      },
    },
    events: {
      type: 'object',
      required: ['brokers'],
      properties: {
        brokers: { type: 'array', minItems: 1, items: { type: 'string', pattern: '^[^\\s:]+:[0-9]{1,5}$' } },
        authSecretName: {
          type: 'string',
          maxLength: 253,
          pattern: DNS_SUBDOMAIN,
          description:
            'Secret with the SASL username and password keys, when the brokers need them: the operator and every component authenticate with it.',
        },
        saslMechanism: {
          type: 'string',
          enum: ['plain', 'scram-sha-256', 'scram-sha-512'],
          default: 'scram-sha-512',
          description: 'SASL mechanism used with authSecretName.',
        },
        topicPrefix: {
          type: 'string',
          maxLength: 100,
          pattern: '^([a-zA-Z0-9_-][a-zA-Z0-9._-]*)?$',
          description:
            'Put before every topic and consumer group of this platform, followed by a dot, so that platforms sharing a broker never meet (default: the GirokPlatform name; "" for none).',
        },
        topics: {
          type: 'array',
          description:
            'Overrides of the catalogue by name, or extra topics; names without the topicPrefix, which the operator puts before them.',
          default: [],
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
          items: {
            type: 'object',
            required: ['name'],
            properties: {
              name: { type: 'string', minLength: 1, maxLength: 249, pattern: '^[a-zA-Z0-9._-]+$' },
              partitions: { type: 'integer', minimum: 1, maximum: 1000 },
              retentionMs: { type: 'integer', minimum: -1 },
              cleanupPolicy: { type: 'string', enum: ['delete', 'compact', 'compact,delete'] },
            },
          },
        },
        deleteTopicsOnDelete: {
          type: 'boolean',
          default: false,
          description: "Delete the platform's topics when the GirokPlatform is deleted.",
        },
      },
    },
    networkPolicy: {
      type: 'object',
      default: {},
      properties: {
        enabled: { type: 'boolean', default: false },
        flavor: { type: 'string', enum: ['kubernetes', 'cilium'], default: 'kubernetes' },
        gateway: {
          ...peerSelector,
          description:
            "Pods of the Gateway's proxy: admitted to the published RPCs (default: Cilium's ingress entity; with the kubernetes flavour, any source).",
        },
        monitoring: { ...peerSelector, description: 'Pods admitted to the metrics port (default: none).' },
      },
    },
    keys: {
      type: 'object',
      default: {},
      description:
        'The key rings and peppers the operator generates once per component (Secret <name>-<component>-keys) and never overwrites; rotate by adding a key to the Secret.',
      properties: {
        deleteWithPlatform: {
          type: 'boolean',
          default: false,
          description:
            'Give the key Secrets an owner reference, so deleting the GirokPlatform deletes them (false: they are kept, since without them encrypted MFA secrets and stored tokens cannot be read). Applies to Secrets created after it is set.',
        },
      },
    },
    valkey: {
      ...secretKeyRefSchema,
      description:
        'Secret with the Valkey URL (redis://...) shared by the replicas of identity and auth-bff (default <name>-valkey, key url).',
    },
    bff: {
      type: 'object',
      default: {},
      description: 'Settings of auth-bff.',
      properties: {
        allowedOrigins: {
          type: 'array',
          maxItems: 32,
          items: { type: 'string', maxLength: 2048, pattern: '^https?://[^/\\s]+$' },
          description: 'Origins allowed to open its WebSockets (default https://<bff host>).',
        },
        graphqlExplorer: {
          type: 'boolean',
          default: false,
          description: 'Serve GraphiQL and schema introspection.',
        },
        signUpRateLimit: {
          type: 'object',
          default: {},
          properties: {
            perIp: {
              type: 'integer',
              minimum: 1,
              default: 10,
              description: 'Sign-ups per client address per window.',
            },
            windowMs: {
              type: 'integer',
              minimum: 1000,
              default: 600000,
              description: 'The window in milliseconds.',
            },
          },
        },
      },
    },
    workloadIdentity: {
      type: 'object',
      default: {},
      properties: {
        issuer: {
          type: 'string',
          minLength: 1,
          maxLength: 2048,
          // The API server's default --service-account-issuer.
          default: 'https://kubernetes.default.svc.cluster.local',
          description:
            "The cluster's service-account token issuer, against which the components verify each other's tokens.",
        },
      },
    },
  },
} as const satisfies JsonSchema;

const condition = {
  type: 'object',
  required: ['type', 'status', 'lastTransitionTime', 'reason', 'message'],
  properties: {
    type: { type: 'string' },
    status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
    observedGeneration: { type: 'integer' },
    lastTransitionTime: { type: 'string', format: 'date-time' },
    reason: { type: 'string' },
    message: { type: 'string' },
  },
} as const satisfies JsonSchema;

/** `status` of a GirokPlatform (written by the operator only). */
export const platformStatusSchema = {
  type: 'object',
  properties: {
    observedGeneration: { type: 'integer' },
    conditions: {
      type: 'array',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['type'],
      items: condition,
    },
    services: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        properties: {
          image: { type: 'string' },
          replicas: { type: 'integer' },
          readyReplicas: { type: 'integer' },
        },
      },
    },
    endpoints: {
      type: 'object',
      properties: {
        grpc: { type: 'string' },
        api: { type: 'string' },
        bff: { type: 'string' },
        dns: { type: 'string' },
      },
    },
    topics: {
      type: 'array',
      items: { type: 'object', properties: { name: { type: 'string' }, partitions: { type: 'integer' } } },
    },
  },
} as const satisfies JsonSchema;

export const girokPlatformCrd: KubernetesObject & { spec: Record<string, unknown> } = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `${PLURAL}.${GROUP}` },
  spec: {
    group: GROUP,
    scope: 'Namespaced',
    names: {
      plural: PLURAL,
      singular: 'girokplatform',
      kind: KIND,
      listKind: `${KIND}List`,
      shortNames: ['gp'],
    },
    versions: [
      {
        name: VERSION,
        served: true,
        storage: true,
        subresources: { status: {} },
        additionalPrinterColumns: [
          { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
          { name: 'Environment', type: 'string', jsonPath: '.spec.environment' },
          { name: 'Version', type: 'string', jsonPath: '.spec.version' },
          { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
        ],
        schema: {
          openAPIV3Schema: {
            type: 'object',
            description: 'A Girok identity platform: its services, routes, DNS names and topics.',
            required: ['spec'],
            properties: {
              apiVersion: { type: 'string' },
              kind: { type: 'string' },
              metadata: { type: 'object' },
              spec: platformSpecSchema,
              status: platformStatusSchema,
            },
          },
        },
      },
    ],
  },
};
