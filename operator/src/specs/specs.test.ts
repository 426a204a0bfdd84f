import {
  Audience,
  accessOf,
  EDGE_WORKLOADS,
  httpOf,
  type MethodHttp,
  WORKLOAD_NAMES,
} from '@girok/contracts/access';
import { describe, expect, it } from 'vitest';
import { components } from './catalogue.ts';
import { componentConfigMap } from './configmap.ts';
import { corednsSnippet, publicHostRules } from './coredns.ts';
import { componentDeployment } from './deployment.ts';
import { desiredState, OWNED_KINDS } from './desired.ts';
import { platformFixture } from './fixtures.ts';
import { apiRoute, grpcRoute, pathMatch, pathRegex, platformGateway } from './gateway.ts';
import { ciliumNetworkPolicies, kubernetesNetworkPolicies } from './network-policy.ts';
import { componentPdb } from './pdb.ts';
import { type PlatformView, viewOf } from './platform-view.ts';
import { neededSecrets } from './secrets.ts';
import { componentService } from './service.ts';
import { componentServiceAccount } from './service-account.ts';
import { desiredTopics } from './topics.ts';

interface GrpcRule {
  matches: { method: { type: string; service: string; method: string } }[];
  backendRefs: { name: string; port: number }[];
}
interface HttpRule {
  matches: { path: { type: string; value: string }; method: string }[];
  backendRefs: { name: string; port: number }[];
}
interface CiliumRule {
  fromEntities?: string[];
  fromEndpoints?: { matchLabels: Record<string, string> }[];
  toPorts: { ports: { port: string }[]; rules?: { http: { method: string; path: string }[] } }[];
}

/** Every RPC as the descriptors declare it, read here without the code under test. */
const contractRpcs = () =>
  components.flatMap((c) =>
    c.grpcServices.flatMap((s) =>
      s.methods.map((m) => ({
        service: s.typeName,
        method: m.name,
        ...accessOf(m),
        http: httpOf(m) as MethodHttp | undefined,
      })),
    ),
  );
/** The workloads a service's contract names anywhere. */
/** The components the contract names on a service, plus the edge ones (the BFF) where it publishes anything. */
const contractCallers = (service: string) => {
  const rpcs = contractRpcs().filter((r) => r.service === service);
  const published = rpcs.some((r) => r.audience !== Audience.WORKLOADS);
  return [...new Set([...rpcs.flatMap((r) => r.workloads), ...(published ? EDGE_WORKLOADS : [])])];
};
const componentOf = (view: PlatformView, workload: string) =>
  view.components.find((c) => c.workload === workload)?.name;
const matchesPath = (match: { type: string; value: string }, path: string) =>
  match.type === 'Exact' ? match.value === path : new RegExp(match.value).test(path);

const component = (view: PlatformView, key: string) => {
  const c = view.components.find((x) => x.key === key);
  if (!c) throw new Error(`no component ${key}`);
  return c;
};

describe('platform view', () => {
  it('resolves every default the CRD schema declares, so builders never default a field themselves', () => {
    const view = viewOf(platformFixture());
    expect(view.spec.gateway).toEqual({ className: 'cilium', trustedProxies: [] });
    expect(view.gatewayEnabled).toBe(false);
    expect(view.spec.dns).toEqual({
      enabled: true,
      corednsNamespace: 'kube-system',
      corednsConfigMap: 'coredns-custom',
    });
    expect(view.spec.networkPolicy).toEqual({ enabled: false, flavor: 'kubernetes' });
    expect(view.workloadIssuer).toBe('https://kubernetes.default.svc.cluster.local');
    expect(view.spec.events).toBeUndefined();
    expect(view.spec.keys).toEqual({ deleteWithPlatform: false });
    expect(view.spec.bff).toEqual({
      graphqlExplorer: false,
      signUpRateLimit: { perIp: 10, windowMs: 600000 },
    });
    expect(view.bffAllowedOrigins).toEqual(['https://bff-dev.girok.dev']);
    expect(view.valkeySecret).toEqual({ name: 'girok-valkey', key: 'url' });
    expect(view.topicPrefix).toBe('girok.');
    const identity = component(view, 'identity');
    expect(identity.keysSecretName).toBe('girok-identity-keys');
    expect(identity.host).toBe('identity.svc-dev.girok.dev');
    expect(identity.spec).toEqual({
      replicas: 2,
      resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } },
    });
    expect(identity.databaseSecret).toEqual({ name: 'girok-identity-database', key: 'url' });
    expect(view.hosts).toEqual({
      api: 'api-dev.girok.dev',
      bff: 'bff-dev.girok.dev',
      grpc: 'grpc-dev.girok.dev',
    });
  });

  it('keeps what the spec gives over the defaults', () => {
    const view = viewOf(
      platformFixture({
        services: { audit: { replicas: 0, database: { name: 'ch' } } },
        dns: { enabled: false },
        events: { brokers: ['k:9092'], topicPrefix: '' },
        gateway: { tlsSecretName: 'tls', enabled: false },
        valkey: { name: 'cache' },
        bff: { allowedOrigins: ['https://app.example'], signUpRateLimit: { perIp: 3 } },
      }),
    );
    expect(component(view, 'audit').replicas).toBe(0);
    expect(component(view, 'audit').databaseSecret).toEqual({ name: 'ch', key: 'url' });
    expect(view.spec.dns.enabled).toBe(false);
    expect(component(view, 'audit').host).toBe('girok-audit');
    expect(view.spec.events).toEqual({
      brokers: ['k:9092'],
      saslMechanism: 'scram-sha-512',
      topicPrefix: '',
      topics: [],
      deleteTopicsOnDelete: false,
    });
    expect(view.topicPrefix).toBe('');
    expect(view.gatewayEnabled).toBe(false);
    expect(view.valkeySecret).toEqual({ name: 'cache', key: 'url' });
    expect(view.bffAllowedOrigins).toEqual(['https://app.example']);
    expect(view.spec.bff.signUpRateLimit).toEqual({ perIp: 3, windowMs: 600000 });
  });

  it('turns the gateway on once its TLS Secret is named, unless enabled is false', () => {
    expect(viewOf(platformFixture({ gateway: { tlsSecretName: 'tls' } })).gatewayEnabled).toBe(true);
    expect(viewOf(platformFixture({ gateway: { enabled: true, tlsSecretName: 'tls' } })).gatewayEnabled).toBe(
      true,
    );
    expect(
      viewOf(platformFixture({ gateway: { enabled: false, tlsSecretName: 'tls' } })).gatewayEnabled,
    ).toBe(false);
  });
});

describe('Deployment', () => {
  it('runs registry/image:version with 2 replicas by default and the spec’s count when given', () => {
    const view = viewOf(platformFixture({ services: { auth: { replicas: 5 } } }));
    const identity = componentDeployment(view, component(view, 'identity'));
    expect(identity.metadata?.name).toBe('girok-identity');
    expect(identity.spec?.replicas).toBe(2);
    expect(identity.spec?.template.spec?.containers[0]?.image).toBe('ghcr.io/girok/identity-service:1.4.2');
    expect(componentDeployment(view, component(view, 'auth')).spec?.replicas).toBe(5);
  });

  it('runs registry/image:version@digest for a component pinned in imageDigests, the others by version', () => {
    const digest = `sha256:${'a1'.repeat(32)}`;
    const view = viewOf(platformFixture({ imageDigests: { authBff: digest } }));
    const image = (key: string) =>
      componentDeployment(view, component(view, key)).spec?.template.spec?.containers[0]?.image;
    expect(image('authBff')).toBe(`ghcr.io/girok/auth-bff:1.4.2@${digest}`);
    expect(image('legal')).toBe('ghcr.io/girok/legal-service:1.4.2');
  });

  it('runs as non-root on a read-only root filesystem with no privilege escalation', () => {
    const view = viewOf(platformFixture());
    const pod = componentDeployment(view, component(view, 'legal')).spec?.template.spec;
    expect(pod?.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 65532,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod?.containers[0]?.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(pod?.automountServiceAccountToken).toBe(false);
  });

  it('reads the database URL from the referenced Secret, never an inline value', () => {
    const view = viewOf(
      platformFixture({ services: { identity: { database: { name: 'identity-pg', key: 'uri' } } } }),
    );
    const envOf = (key: string) =>
      componentDeployment(view, component(view, key)).spec?.template.spec?.containers[0]?.env ?? [];
    const database = (key: string) => envOf(key).find((e) => e.name === 'DATABASE_URL');
    expect(database('identity')).toEqual({
      name: 'DATABASE_URL',
      valueFrom: { secretKeyRef: { name: 'identity-pg', key: 'uri' } },
    });
    expect(database('auth')).toEqual({
      name: 'DATABASE_URL',
      valueFrom: { secretKeyRef: { name: 'girok-auth-database', key: 'url' } },
    });
    expect(database('authBff')).toBeUndefined();
    for (const key of ['identity', 'auth', 'legal', 'authBff', 'audit']) {
      expect(envOf(key).every((e) => e.value === undefined && e.valueFrom?.secretKeyRef)).toBe(true);
    }
  });

  it('hands each component its generated keys, Valkey and the SASL credentials from Secrets', () => {
    const view = viewOf(
      platformFixture({
        valkey: { name: 'shared-valkey' },
        events: { brokers: ['k:9092'], authSecretName: 'kafka-user' },
      }),
    );
    const refs = (key: string) =>
      Object.fromEntries(
        (componentDeployment(view, component(view, key)).spec?.template.spec?.containers[0]?.env ?? []).map(
          (e) => [e.name, `${e.valueFrom?.secretKeyRef?.name}/${e.valueFrom?.secretKeyRef?.key}`],
        ),
      );
    expect(refs('identity')).toEqual({
      IDENTITY_KEY_RING: 'girok-identity-keys/key-ring',
      IDENTITY_BACKUP_CODE_PEPPER: 'girok-identity-keys/backup-code-pepper',
      DATABASE_URL: 'girok-identity-database/url',
      VALKEY_URL: 'shared-valkey/url',
      KAFKA_SASL_USERNAME: 'kafka-user/username',
      KAFKA_SASL_PASSWORD: 'kafka-user/password',
    });
    expect(refs('auth')).toMatchObject({ AUTH_KEY_RING: 'girok-auth-keys/key-ring' });
    expect(refs('auth').VALKEY_URL).toBeUndefined();
    expect(refs('legal')).toMatchObject({ LEGAL_ERASURE_PEPPER: 'girok-legal-keys/erasure-pepper' });
    expect(refs('authBff')).toMatchObject({
      BFF_KEY_RING: 'girok-auth-bff-keys/key-ring',
      VALKEY_URL: 'shared-valkey/url',
    });
    expect(refs('audit')).toEqual({
      CLICKHOUSE_URL: 'girok-audit-database/url',
      KAFKA_SASL_USERNAME: 'kafka-user/username',
      KAFKA_SASL_PASSWORD: 'kafka-user/password',
    });
  });

  it('keeps the termination message, or the last log lines, of a container that fails', () => {
    const view = viewOf(platformFixture());
    const container = componentDeployment(view, component(view, 'legal')).spec?.template.spec?.containers[0];
    expect(container?.terminationMessagePath).toBe('/dev/termination-log');
    expect(container?.terminationMessagePolicy).toBe('FallbackToLogsOnError');
  });

  it('probes /health/live and /health/ready on the REST port', () => {
    const view = viewOf(platformFixture());
    const container = componentDeployment(view, component(view, 'audit')).spec?.template.spec?.containers[0];
    expect(container?.livenessProbe?.httpGet).toEqual({ path: '/health/live', port: 'http' });
    expect(container?.readinessProbe?.httpGet).toEqual({ path: '/health/ready', port: 'http' });
    expect(container?.ports).toEqual([
      { name: 'http', containerPort: 3010, protocol: 'TCP' },
      { name: 'grpc', containerPort: 50054, protocol: 'TCP' },
      { name: 'metrics', containerPort: 9464, protocol: 'TCP' },
    ]);
  });

  it('keeps a stopping Pod serving until its endpoints are gone, then gives it time to drain', () => {
    const view = viewOf(platformFixture());
    const pod = componentDeployment(view, component(view, 'authBff')).spec?.template.spec;
    expect(pod?.containers[0]?.lifecycle?.preStop).toEqual({ sleep: { seconds: 5 } });
    expect(pod?.terminationGracePeriodSeconds).toBe(30);
  });

  it('runs as its component’s ServiceAccount with a `girok` token projected read-only', () => {
    const view = viewOf(platformFixture({}, 'girok-dev'));
    const pod = componentDeployment(view, component(view, 'authBff')).spec?.template.spec;
    expect(pod?.serviceAccountName).toBe('girok-dev-auth-bff');
    expect(pod?.volumes?.find((v) => v.name === 'workload-token')?.projected?.sources).toEqual([
      { serviceAccountToken: { audience: 'girok', expirationSeconds: 3600, path: 'token' } },
    ]);
    // The API-server token (no audience: the API server's) and the CA, to read the issuer's keys.
    expect(pod?.volumes?.find((v) => v.name === 'api-token')?.projected?.sources).toEqual([
      { serviceAccountToken: { expirationSeconds: 3600, path: 'token' } },
      { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
    ]);
    expect(pod?.containers[0]?.volumeMounts).toEqual([
      { name: 'tmp', mountPath: '/tmp' },
      { name: 'workload-token', mountPath: '/var/run/secrets/girok', readOnly: true },
      { name: 'api-token', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true },
    ]);
    expect(
      componentDeployment(view, component(view, 'identity')).spec?.template.spec?.serviceAccountName,
    ).toBe('girok-dev-identity-service');
  });

  it('rolls its Pods when the component’s config changes', () => {
    const hash = (brokers: string[]) => {
      const view = viewOf(platformFixture({ events: { brokers } }));
      return componentDeployment(view, component(view, 'identity')).spec?.template.metadata?.annotations?.[
        'platform.girok.dev/config-hash'
      ];
    };
    expect(hash(['kafka-0:9092'])).toBe(hash(['kafka-0:9092']));
    expect(hash(['kafka-0:9092'])).not.toBe(hash(['kafka-1:9092']));
  });
});

describe('ConfigMap', () => {
  it('gives a component its ports, the brokers and every gRPC peer address', () => {
    const view = viewOf(platformFixture({ events: { brokers: ['a:9092', 'b:9092'] } }));
    expect(componentConfigMap(view, component(view, 'authBff')).data).toEqual({
      GIROK_ENVIRONMENT: 'dev',
      HTTP_PORT: '4000',
      METRICS_PORT: '9464',
      KAFKA_BROKERS: 'a:9092,b:9092',
      KAFKA_TOPIC_PREFIX: 'girok.',
      IDENTITY_GRPC_ADDRESS: 'identity.svc-dev.girok.dev:50051',
      AUTH_GRPC_ADDRESS: 'auth.svc-dev.girok.dev:50052',
      LEGAL_GRPC_ADDRESS: 'legal.svc-dev.girok.dev:50053',
      AUDIT_GRPC_ADDRESS: 'audit.svc-dev.girok.dev:50054',
      AUTH_JWKS_URL: 'http://auth.svc-dev.girok.dev:3001/.well-known/jwks.json',
      BFF_ALLOWED_ORIGINS: 'https://bff-dev.girok.dev',
      BFF_GRAPHQL_EXPLORER: 'false',
      BFF_SIGNUP_RATE_LIMIT_PER_IP: '10',
      BFF_SIGNUP_RATE_LIMIT_WINDOW_MS: '600000',
      WORKLOAD_TOKEN_FILE: '/var/run/secrets/girok/token',
      WORKLOAD_AUDIENCE: 'girok',
      WORKLOAD_ISSUER: 'https://kubernetes.default.svc.cluster.local',
      WORKLOAD_JWKS_URL: 'https://kubernetes.default.svc/openid/v1/jwks',
      WORKLOAD_JWKS_CA_FILE: '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt',
      WORKLOAD_JWKS_TOKEN_FILE: '/var/run/secrets/kubernetes.io/serviceaccount/token',
      WORKLOAD_NAMESPACE: 'girok-dev',
      WORKLOAD_SERVICE_ACCOUNT_PREFIX: 'girok-',
    });
  });

  it('names the spec’s service-account issuer, and auth’s JWKS only to the components that verify user tokens', () => {
    const view = viewOf(platformFixture({ workloadIdentity: { issuer: 'https://oidc.eks.example/id/X' } }));
    const data = (key: string) => componentConfigMap(view, component(view, key)).data ?? {};
    expect(data('legal').WORKLOAD_ISSUER).toBe('https://oidc.eks.example/id/X');
    expect(['identity', 'legal', 'audit', 'authBff'].map((k) => data(k).AUTH_JWKS_URL)).toEqual(
      Array(4).fill('http://auth.svc-dev.girok.dev:3001/.well-known/jwks.json'),
    );
    expect(data('auth').AUTH_JWKS_URL).toBeUndefined();
  });

  it('names the peers by their Services when the platform writes no DNS names', () => {
    const view = viewOf(platformFixture({ dns: { enabled: false } }));
    const data = componentConfigMap(view, component(view, 'authBff')).data ?? {};
    expect(data.IDENTITY_GRPC_ADDRESS).toBe('girok-identity:50051');
    expect(data.AUTH_JWKS_URL).toBe('http://girok-auth:3001/.well-known/jwks.json');
  });

  it('gives the BFF the origins of its public host, the explorer off, and the spec’s sign-up limit', () => {
    const data = (spec: Parameters<typeof platformFixture>[0]) => {
      const view = viewOf(platformFixture(spec));
      return componentConfigMap(view, component(view, 'authBff')).data ?? {};
    };
    expect(data({ gateway: { hosts: { bff: 'login.example.com' } } })).toMatchObject({
      BFF_ALLOWED_ORIGINS: 'https://login.example.com',
      BFF_GRAPHQL_EXPLORER: 'false',
    });
    const tuned = data({
      bff: {
        allowedOrigins: ['https://a.example', 'https://b.example'],
        graphqlExplorer: true,
        signUpRateLimit: { perIp: 3, windowMs: 60_000 },
      },
    });
    expect(tuned).toMatchObject({
      BFF_ALLOWED_ORIGINS: 'https://a.example,https://b.example',
      BFF_GRAPHQL_EXPLORER: 'true',
      BFF_SIGNUP_RATE_LIMIT_PER_IP: '3',
      BFF_SIGNUP_RATE_LIMIT_WINDOW_MS: '60000',
    });
    const view = viewOf(platformFixture());
    expect(componentConfigMap(view, component(view, 'identity')).data?.BFF_ALLOWED_ORIGINS).toBeUndefined();
  });

  it('prefixes topics and groups with the platform’s name unless the spec says otherwise', () => {
    const data = (events: NonNullable<Parameters<typeof platformFixture>[0]>['events'], name = 'girok') => {
      const view = viewOf(platformFixture(events ? { events } : {}, name));
      return componentConfigMap(view, component(view, 'legal')).data ?? {};
    };
    expect(data({ brokers: ['k:9092'] }, 'shop').KAFKA_TOPIC_PREFIX).toBe('shop.');
    expect(data({ brokers: ['k:9092'], topicPrefix: 'eu1' }).KAFKA_TOPIC_PREFIX).toBe('eu1.');
    expect(data({ brokers: ['k:9092'], topicPrefix: '' }).KAFKA_TOPIC_PREFIX).toBe('');
    expect(data({ brokers: ['k:9092'] }).KAFKA_SASL_MECHANISM).toBeUndefined();
    expect(
      data({ brokers: ['k:9092'], authSecretName: 'kafka-user', saslMechanism: 'plain' })
        .KAFKA_SASL_MECHANISM,
    ).toBe('plain');
    expect(data({ brokers: ['k:9092'], authSecretName: 'kafka-user' }).KAFKA_SASL_MECHANISM).toBe(
      'scram-sha-512',
    );
    expect(data(undefined).KAFKA_TOPIC_PREFIX).toBeUndefined();
  });

  it('tells only the BFF which proxies to believe X-Forwarded-For from: the Gateway addresses the spec lists', () => {
    const view = viewOf(
      platformFixture({
        gateway: { enabled: true, tlsSecretName: 'tls', trustedProxies: ['10.0.0.0/24', 'fd00::/64'] },
      }),
    );
    const data = (key: string) => componentConfigMap(view, component(view, key)).data ?? {};
    expect(data('authBff').BFF_TRUSTED_PROXIES).toBe('10.0.0.0/24,fd00::/64');
    expect(data('identity').BFF_TRUSTED_PROXIES).toBeUndefined();
    // None listed: none believed (the BFF ignores X-Forwarded-For from everyone).
    const plain = viewOf(platformFixture({}));
    expect(componentConfigMap(plain, component(plain, 'authBff')).data?.BFF_TRUSTED_PROXIES).toBeUndefined();
  });
});

describe('ServiceAccount', () => {
  it('gives each component its own, named after its workload in the contract, with no token automounted', () => {
    const view = viewOf(platformFixture({}, 'girok-dev'));
    // One per workload identity the contract knows, each named so a callee reads the contract's name.
    expect(view.components.map((c) => componentServiceAccount(view, c).metadata?.name).sort()).toEqual(
      WORKLOAD_NAMES.map((w) => `girok-dev-${w}`).sort(),
    );
    const sa = componentServiceAccount(view, component(view, 'authBff'));
    expect(sa.metadata?.name).toBe('girok-dev-auth-bff');
    expect(sa.metadata?.labels).toMatchObject({
      'app.kubernetes.io/managed-by': 'girok-operator',
      'app.kubernetes.io/name': 'auth-bff',
    });
    expect(sa.automountServiceAccountToken).toBe(false);
  });
});

describe('Service', () => {
  it('exposes REST and gRPC, the gRPC port marked h2c for the gateway', () => {
    const view = viewOf(platformFixture());
    expect(componentService(view, component(view, 'identity')).spec?.ports).toEqual([
      { name: 'http', port: 3000, targetPort: 'http', protocol: 'TCP', appProtocol: 'http' },
      { name: 'grpc', port: 50051, targetPort: 'grpc', protocol: 'TCP', appProtocol: 'kubernetes.io/h2c' },
      { name: 'metrics', port: 9464, targetPort: 'metrics', protocol: 'TCP', appProtocol: 'http' },
    ]);
    expect(componentService(view, component(view, 'authBff')).spec?.ports?.map((p) => p.name)).toEqual([
      'http',
      'metrics',
    ]);
  });
});

describe('PodDisruptionBudget', () => {
  it('allows one eviction at a time, and must not exist below two replicas', () => {
    const view = viewOf(platformFixture({ services: { legal: { replicas: 1 }, auth: { replicas: 0 } } }));
    expect(componentPdb(view, component(view, 'identity'))?.spec).toEqual({
      maxUnavailable: 1,
      selector: {
        matchLabels: { 'app.kubernetes.io/name': 'identity', 'app.kubernetes.io/instance': 'girok' },
      },
    });
    expect(componentPdb(view, component(view, 'legal'))).toBeUndefined();
    expect(componentPdb(view, component(view, 'auth'))).toBeUndefined();
  });
});

describe('Gateway API', () => {
  it('must not exist unless the gateway is enabled', () => {
    const view = viewOf(platformFixture());
    expect(platformGateway(view)).toBeUndefined();
    expect(grpcRoute(view)).toBeUndefined();
  });

  it('is on once the TLS Secret is named, unless enabled is false', () => {
    const on = viewOf(platformFixture({ gateway: { className: 'traefik', tlsSecretName: 'girok-tls' } }));
    expect(platformGateway(on)?.spec.gatewayClassName).toBe('traefik');
    const off = viewOf(platformFixture({ gateway: { enabled: false, tlsSecretName: 'girok-tls' } }));
    expect(platformGateway(off)).toBeUndefined();
  });

  it('terminates TLS for the gRPC, REST and BFF hosts with the referenced Secret', () => {
    const view = viewOf(
      platformFixture({
        gateway: { enabled: true, tlsSecretName: 'girok-tls', hosts: { bff: 'login.girok.dev' } },
      }),
    );
    const gateway = platformGateway(view);
    expect(gateway?.spec.gatewayClassName).toBe('cilium');
    const listeners = gateway?.spec.listeners as { name: string; hostname: string; tls: unknown }[];
    expect(listeners.map((l) => [l.name, l.hostname])).toEqual([
      ['grpc', 'grpc-dev.girok.dev'],
      ['api', 'api-dev.girok.dev'],
      ['bff', 'login.girok.dev'],
    ]);
    expect(listeners[0]?.tls).toEqual({
      mode: 'Terminate',
      certificateRefs: [{ kind: 'Secret', group: '', name: 'girok-tls' }],
    });
  });

  it('routes, method by method, exactly the RPCs the contract does not reserve to workloads', () => {
    const view = viewOf(platformFixture({ gateway: { enabled: true, tlsSecretName: 'girok-tls' } }));
    const route = grpcRoute(view);
    expect(route?.spec.hostnames).toEqual(['grpc-dev.girok.dev']);
    const all = route?.spec.rules as GrpcRule[];
    // The last rule sends server reflection (whole service, both versions) to the first component.
    const reflection = all.at(-1);
    expect(reflection?.matches.map((m) => m.method)).toEqual([
      { type: 'Exact', service: 'grpc.reflection.v1.ServerReflection' },
      { type: 'Exact', service: 'grpc.reflection.v1alpha.ServerReflection' },
    ]);
    expect(reflection?.backendRefs).toEqual(all[0]?.backendRefs);
    const rules = all.slice(0, -1);
    expect(rules.map((r) => r.backendRefs)).toEqual(
      [
        ['girok-identity', 50051],
        ['girok-auth', 50052],
        ['girok-legal', 50053],
        ['girok-audit', 50054],
      ].map(([name, port]) => [{ group: '', kind: 'Service', name, port, weight: 1 }]),
    );
    const routed = rules.flatMap((r) => r.matches.map((m) => m.method));
    // Never a whole service: every match names one method, exactly.
    for (const m of routed)
      expect(m).toEqual({ type: 'Exact', service: m.service, method: expect.any(String) });
    const key = (service: string, method: string) => `${service}/${method}`;
    expect(routed.map((m) => key(m.service, m.method)).sort()).toEqual(
      contractRpcs()
        .filter((r) => r.audience !== Audience.WORKLOADS)
        .map((r) => key(r.service, r.method))
        .sort(),
    );
    const names = routed.map((m) => m.method);
    expect(names).not.toContain('IssueAccessToken');
    expect(names).not.toContain('Authenticate');
    expect(names).toContain('GetJwks');
    expect(names).toContain('ListSessions');
    expect(routed.map((m) => m.service)).not.toContain('grpc.health.v1.Health');
  });

  it('routes the REST face of exactly the published RPCs, path and verb, and nothing else of a service', () => {
    const view = viewOf(platformFixture({ gateway: { enabled: true, tlsSecretName: 'girok-tls' } }));
    const route = apiRoute(view);
    expect(route?.spec.hostnames).toEqual(['api-dev.girok.dev']);
    const rules = route?.spec.rules as HttpRule[];
    expect(rules.map((r) => r.backendRefs[0]?.port)).toEqual([3000, 3001, 3005, 3010]);
    const matches = rules.flatMap((r) => r.matches);
    const published = contractRpcs().filter((r) => r.audience !== Audience.WORKLOADS && r.http);
    expect(matches).toHaveLength(published.length);
    expect(matches).toContainEqual({
      path: { type: 'RegularExpression', value: '^/v1/accounts/[^/]+/sessions$' },
      method: 'GET',
    });
    expect(matches).toContainEqual({ path: { type: 'Exact', value: '/v1/jwks' }, method: 'GET' });
    // No request a WORKLOADS operation answers reaches a service through the Gateway.
    for (const rpc of contractRpcs().filter((r) => r.audience === Audience.WORKLOADS && r.http)) {
      const sample = rpc.http?.path.replaceAll(/\{\w+\}/g, 'x') ?? '';
      expect(matches.filter((m) => m.method === rpc.http?.method && matchesPath(m.path, sample))).toEqual([]);
    }
    for (const path of [
      '/metrics',
      '/openapi.json',
      '/health/live',
      '/health/ready',
      '/.well-known/jwks.json',
    ])
      expect(matches.filter((m) => matchesPath(m.path, path))).toEqual([]);
  });

  it('keeps every published REST operation distinct across services, so none needs a prefix to be told apart', () => {
    const rules = apiRoute(
      viewOf(platformFixture({ gateway: { enabled: true, tlsSecretName: 'girok-tls' } })),
    )?.spec.rules as HttpRule[];
    for (const rpc of contractRpcs().filter((r) => r.audience !== Audience.WORKLOADS && r.http)) {
      const sample = rpc.http?.path.replaceAll(/\{\w+\}/g, 'x') ?? '';
      const owners = rules.filter((rule) =>
        rule.matches.some((m) => m.method === rpc.http?.method && matchesPath(m.path, sample)),
      );
      expect(owners.map((o) => o.backendRefs[0]?.name)).toHaveLength(1);
    }
  });

  it('stays within the Gateway API’s limits (16 rules, 64 matches a rule, 128 a route)', () => {
    const view = viewOf(platformFixture({ gateway: { enabled: true, tlsSecretName: 'girok-tls' } }));
    for (const route of [grpcRoute(view), apiRoute(view)]) {
      const rules = route?.spec.rules as { matches: unknown[] }[];
      expect(rules.length).toBeLessThanOrEqual(16);
      for (const rule of rules) expect(rule.matches.length).toBeLessThanOrEqual(64);
      expect(rules.reduce((n, r) => n + r.matches.length, 0)).toBeLessThanOrEqual(128);
    }
  });

  it('turns a contract path into an exact match, or a regular expression with one segment per parameter', () => {
    expect(pathMatch('/v1/jwks')).toEqual({ type: 'Exact', value: '/v1/jwks' });
    expect(pathMatch('/v1/accounts/{account_id}/sessions/{session_id}')).toEqual({
      type: 'RegularExpression',
      value: '^/v1/accounts/[^/]+/sessions/[^/]+$',
    });
    expect(pathRegex('/.well-known/jwks.json')).toBe('^/\\.well-known/jwks\\.json$');
  });
});

describe('CoreDNS snippet', () => {
  it('rewrites <component>.svc-<env>.<domain> to the component’s Service', () => {
    const snippet = corednsSnippet(viewOf(platformFixture()), 'cluster.local');
    expect(snippet).toMatchObject({
      namespace: 'kube-system',
      configMap: 'coredns-custom',
      key: 'girok-girok-dev-girok.override',
    });
    expect(snippet?.content.split('\n').filter((l) => l.startsWith('rewrite'))).toEqual([
      'rewrite stop name exact identity.svc-dev.girok.dev girok-identity.girok-dev.svc.cluster.local answer auto',
      'rewrite stop name exact auth.svc-dev.girok.dev girok-auth.girok-dev.svc.cluster.local answer auto',
      'rewrite stop name exact legal.svc-dev.girok.dev girok-legal.girok-dev.svc.cluster.local answer auto',
      'rewrite stop name exact auth-bff.svc-dev.girok.dev girok-auth-bff.girok-dev.svc.cluster.local answer auto',
      'rewrite stop name exact audit.svc-dev.girok.dev girok-audit.girok-dev.svc.cluster.local answer auto',
    ]);
  });

  it('answers the public hosts with the Gateway’s addresses once it has any', () => {
    const view = viewOf(platformFixture());
    expect(publicHostRules(view, [])).toBe('');
    const hosts = 'api-dev.girok.dev bff-dev.girok.dev grpc-dev.girok.dev';
    const match = '    match "^(api-dev[.]girok[.]dev|bff-dev[.]girok[.]dev|grpc-dev[.]girok[.]dev)[.]$"';
    expect(publicHostRules(view, [{ type: 'IPAddress', value: '10.250.0.1' }]).split('\n')).toEqual([
      `template IN A ${hosts} {`,
      match,
      '    answer "{{ .Name }} 60 IN A 10.250.0.1"',
      '    fallthrough',
      '}',
      `template IN AAAA ${hosts} {`,
      match,
      '    rcode NOERROR',
      '    fallthrough',
      '}',
      '',
    ]);
    expect(publicHostRules(view, [{ type: 'Hostname', value: 'lb.example.net' }])).toContain(
      'rewrite stop name exact grpc-dev.girok.dev lb.example.net answer auto\n',
    );
  });

  it('must not exist when DNS is disabled, and goes where the spec says', () => {
    expect(
      corednsSnippet(viewOf(platformFixture({ dns: { enabled: false } })), 'cluster.local'),
    ).toBeUndefined();
    const moved = corednsSnippet(
      viewOf(platformFixture({ dns: { corednsNamespace: 'dns', corednsConfigMap: 'extra' } })),
      'c.l',
    );
    expect([moved?.namespace, moved?.configMap]).toEqual(['dns', 'extra']);
  });
});

describe('topics', () => {
  it('applies the spec’s overrides by name and adds topics the catalogue lacks', () => {
    const topics = desiredTopics(
      viewOf(
        platformFixture({
          events: {
            brokers: ['k:9092'],
            topicPrefix: '',
            topics: [
              { name: 'identity.session.v1', partitions: 12 },
              { name: 'tenant.billing.v1', cleanupPolicy: 'compact' },
            ],
          },
        }),
      ),
    );
    expect(topics.find((t) => t.name === 'identity.session.v1')).toEqual({
      name: 'identity.session.v1',
      partitions: 12,
      configs: { 'retention.ms': String(3 * 86_400_000), 'cleanup.policy': 'delete' },
    });
    expect(topics.find((t) => t.name === 'tenant.billing.v1')).toEqual({
      name: 'tenant.billing.v1',
      partitions: 3,
      configs: { 'retention.ms': String(7 * 86_400_000), 'cleanup.policy': 'compact' },
    });
    expect(topics.map((t) => t.name)).toContain('audit.event.v1');
  });

  it('creates every topic under the platform’s prefix', () => {
    const names = (events: { brokers: string[]; topicPrefix?: string }) =>
      desiredTopics(viewOf(platformFixture({ events }, 'shop'))).map((t) => t.name);
    expect(names({ brokers: ['k:9092'] })).toContain('shop.identity.account.v1');
    expect(names({ brokers: ['k:9092'] }).every((n) => n.startsWith('shop.'))).toBe(true);
    expect(names({ brokers: ['k:9092'], topicPrefix: 'eu' })).toContain(
      'eu.audit.event.v1.dlq.audit-service',
    );
  });
});

describe('desired state', () => {
  it('labels every child as ours and owns it through the platform', () => {
    const { children } = desiredState(
      platformFixture({ gateway: { enabled: true, tlsSecretName: 't' } }),
      'cluster.local',
    );
    expect(children.length).toBe(5 * 5 + 4);
    for (const child of children) {
      expect(child.metadata?.labels).toMatchObject({
        'app.kubernetes.io/managed-by': 'girok-operator',
        'platform.girok.dev/instance': 'girok',
      });
      expect(child.metadata?.ownerReferences).toEqual([
        {
          apiVersion: 'platform.girok.dev/v1alpha1',
          kind: 'GirokPlatform',
          name: 'girok',
          uid: '0193a1f2-0000-7000-8000-000000000001',
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
    }
  });

  it('owns (so prunes and watches) every kind a builder can produce', () => {
    expect(OWNED_KINDS.map((k) => `${k.apiVersion} ${k.kind}`).sort()).toEqual([
      'apps/v1 Deployment',
      'cilium.io/v2 CiliumNetworkPolicy',
      'gateway.networking.k8s.io/v1 GRPCRoute',
      'gateway.networking.k8s.io/v1 Gateway',
      'gateway.networking.k8s.io/v1 HTTPRoute',
      'networking.k8s.io/v1 NetworkPolicy',
      'policy/v1 PodDisruptionBudget',
      'v1 ConfigMap',
      'v1 Service',
      'v1 ServiceAccount',
    ]);
  });

  it('checks every Secret the children read: key Secrets, databases, Valkey, the brokers’ SASL login and the Gateway’s certificate', () => {
    const { secrets } = desiredState(
      platformFixture({
        services: { audit: { database: { name: 'audit-clickhouse', key: 'uri' } } },
        events: { brokers: ['k:9092'], authSecretName: 'kafka-user' },
        gateway: { tlsSecretName: 'girok-tls' },
      }),
      'cluster.local',
    );
    expect(secrets).toEqual([
      { name: 'girok-identity-keys', keys: ['backup-code-pepper', 'key-ring'], neededBy: ['identity'] },
      { name: 'girok-identity-database', keys: ['url'], neededBy: ['identity'] },
      { name: 'girok-valkey', keys: ['url'], neededBy: ['auth-bff', 'identity'] },
      {
        name: 'kafka-user',
        keys: ['password', 'username'],
        neededBy: ['audit', 'auth', 'auth-bff', 'identity', 'legal'],
      },
      { name: 'girok-auth-keys', keys: ['key-ring'], neededBy: ['auth'] },
      { name: 'girok-auth-database', keys: ['url'], neededBy: ['auth'] },
      { name: 'girok-legal-keys', keys: ['erasure-pepper'], neededBy: ['legal'] },
      { name: 'girok-legal-database', keys: ['url'], neededBy: ['legal'] },
      { name: 'girok-auth-bff-keys', keys: ['key-ring'], neededBy: ['auth-bff'] },
      { name: 'audit-clickhouse', keys: ['uri'], neededBy: ['audit'] },
      { name: 'girok-tls', keys: [], neededBy: ['the Gateway'] },
    ]);
  });

  it('leaves out optional Secret references', () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'x', labels: { 'app.kubernetes.io/name': 'x' } },
      spec: {
        selector: {},
        template: {
          spec: {
            containers: [
              {
                name: 'x',
                env: [
                  { name: 'A', valueFrom: { secretKeyRef: { name: 'maybe', key: 'k', optional: true } } },
                ],
                envFrom: [{ secretRef: { name: 'all' } }],
              },
            ],
            volumes: [{ name: 'v', secret: { secretName: 'files' } }],
          },
        },
      },
    };
    expect(neededSecrets([deployment])).toEqual([
      { name: 'all', keys: [], neededBy: ['x'] },
      { name: 'files', keys: [], neededBy: ['x'] },
    ]);
  });

  it('has no topics without an events section', () => {
    expect(desiredState(platformFixture(), 'cluster.local').topics).toBeUndefined();
  });
});

describe('network policies', () => {
  it('must not exist unless enabled', () => {
    expect(kubernetesNetworkPolicies(viewOf(platformFixture()))).toEqual([]);
    expect(ciliumNetworkPolicies(viewOf(platformFixture({ networkPolicy: { enabled: true } })))).toEqual([]);
  });

  it('deny ingress by default, and admit each component’s gRPC port only from the Gateway and the contract’s callers', () => {
    const view = viewOf(
      platformFixture({
        networkPolicy: {
          enabled: true,
          gateway: { namespaceLabels: { 'kubernetes.io/metadata.name': 'gw' } },
        },
      }),
    );
    const policies = kubernetesNetworkPolicies(view);
    expect(policies.map((p) => p.metadata?.name)).toEqual([
      'girok-default-deny',
      'girok-identity-ingress',
      'girok-auth-ingress',
      'girok-legal-ingress',
      'girok-auth-bff-ingress',
      'girok-audit-ingress',
    ]);
    expect(policies[0]?.spec).toEqual({
      podSelector: {
        matchLabels: { 'app.kubernetes.io/part-of': 'girok', 'app.kubernetes.io/instance': 'girok' },
      },
      policyTypes: ['Ingress'],
    });
    const gateway = [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'gw' } } }];
    for (const c of view.components) {
      const policy = policies.find((p) => p.metadata?.name === `${c.objectName}-ingress`);
      expect(policy?.spec?.podSelector).toEqual({
        matchLabels: { 'app.kubernetes.io/name': c.name, 'app.kubernetes.io/instance': 'girok' },
      });
      const ingress = policy?.spec?.ingress ?? [];
      if (c.grpcPort === undefined) {
        expect(ingress).toEqual([{ _from: gateway, ports: [{ protocol: 'TCP', port: 4000 }] }]);
        continue;
      }
      const onGrpc = ingress.filter((r) => r.ports?.[0]?.port === c.grpcPort);
      const callers = onGrpc.flatMap((r) => r._from ?? []).filter((f) => f.namespaceSelector === undefined);
      expect(onGrpc.some((r) => JSON.stringify(r._from) === JSON.stringify(gateway))).toBe(true);
      expect(callers.map((f) => f.podSelector?.matchLabels?.['app.kubernetes.io/name']).sort()).toEqual(
        contractCallers(c.grpcServices[0]?.typeName ?? '')
          .map((w) => componentOf(view, w))
          .sort(),
      );
      for (const f of callers)
        expect(f.podSelector?.matchLabels?.['app.kubernetes.io/instance']).toBe('girok');
    }
    const ports = (name: string) =>
      policies.find((p) => p.metadata?.name === name)?.spec?.ingress?.map((r) => r.ports?.[0]?.port);
    // auth-service and legal-service call identity (their contracts name them); auth's JWKS for the verifiers.
    expect(ports('girok-identity-ingress')).toEqual([3000, 50051, 50051, 50051, 50051]);
    expect(
      policies
        .find((p) => p.metadata?.name === 'girok-auth-ingress')
        ?.spec?.ingress?.find((r) => r.ports?.[0]?.port === 3001 && r._from?.[0]?.podSelector)
        ?._from?.map((f) => f.podSelector?.matchLabels?.['app.kubernetes.io/name']),
    ).toEqual(['identity', 'legal', 'auth-bff', 'audit']);
  });

  it('admit the metrics port only from the monitoring the spec names', () => {
    const metrics = (spec: Parameters<typeof platformFixture>[0]) =>
      kubernetesNetworkPolicies(viewOf(platformFixture(spec)))
        .flatMap((p) => p.spec?.ingress ?? [])
        .filter((r) => r.ports?.[0]?.port === 9464);
    expect(metrics({ networkPolicy: { enabled: true } })).toEqual([]);
    const monitored = metrics({
      networkPolicy: {
        enabled: true,
        monitoring: { namespaceLabels: { team: 'obs' }, podLabels: { app: 'prom' } },
      },
    });
    expect(monitored).toHaveLength(5);
    expect(monitored[0]?._from).toEqual([
      { namespaceSelector: { matchLabels: { team: 'obs' } }, podSelector: { matchLabels: { app: 'prom' } } },
    ]);
  });

  it('with Cilium, let the ingress entity make only the published calls, and each caller only those its contract grants it', () => {
    const view = viewOf(platformFixture({ networkPolicy: { enabled: true, flavor: 'cilium' } }));
    const policies = ciliumNetworkPolicies(view);
    expect(policies.map((p) => [p.apiVersion, p.metadata?.name])).toEqual(
      view.components.map((c) => ['cilium.io/v2', `${c.objectName}-ingress`]),
    );
    const rpcs = contractRpcs();
    const grpcPath = (r: { service: string; method: string }) => pathRegex(`/${r.service}/${r.method}`);
    for (const c of view.components.filter((x) => x.grpcPort !== undefined)) {
      const service = c.grpcServices[0]?.typeName ?? '';
      const ingress = policies.find((p) => p.metadata?.name === `${c.objectName}-ingress`)?.spec
        .ingress as CiliumRule[];
      const onGrpc = ingress.filter((r) => r.toPorts[0]?.ports[0]?.port === String(c.grpcPort));
      const calls = (r: CiliumRule | undefined) =>
        (r?.toPorts[0]?.rules?.http ?? []).map((h) => `${h.method} ${h.path}`).sort();
      const published = rpcs.filter((r) => r.service === service && r.audience !== Audience.WORKLOADS);
      expect(calls(onGrpc.find((r) => r.fromEntities?.includes('ingress')))).toEqual(
        published.map((r) => `POST ${grpcPath(r)}`).sort(),
      );
      const callers = onGrpc.filter((r) => r.fromEndpoints);
      expect(callers.map((r) => r.fromEndpoints?.[0]?.matchLabels['app.kubernetes.io/name']).sort()).toEqual(
        contractCallers(service)
          .map((w) => componentOf(view, w))
          .sort(),
      );
      for (const rule of callers) {
        const caller = view.components.find(
          (x) => x.name === rule.fromEndpoints?.[0]?.matchLabels['app.kubernetes.io/name'],
        );
        expect(calls(rule)).toEqual(
          rpcs
            .filter(
              (r) =>
                r.service === service &&
                (r.audience !== Audience.WORKLOADS || r.workloads.includes(caller?.workload ?? '')),
            )
            .map((r) => `POST ${grpcPath(r)}`)
            .sort(),
        );
      }
    }
    const identity = policies[0]?.spec.ingress as CiliumRule[];
    const bff = identity.find(
      (r) => r.fromEndpoints?.[0]?.matchLabels['app.kubernetes.io/name'] === 'auth-bff',
    );
    expect(bff?.toPorts[0]?.rules?.http).toContainEqual({
      method: 'POST',
      path: '^/girok\\.identity\\.v1\\.IdentityService/Authenticate$',
    });
    const auth = policies.find((p) => p.metadata?.name === 'girok-auth-ingress')?.spec
      .ingress as CiliumRule[];
    expect(auth.find((r) => r.toPorts[0]?.rules?.http?.[0]?.path.includes('well-known'))).toEqual({
      fromEndpoints: ['identity', 'legal', 'auth-bff', 'audit'].map((name) => ({
        matchLabels: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': 'girok' },
      })),
      toPorts: [
        {
          ports: [{ port: '3001', protocol: 'TCP' }],
          rules: { http: [{ method: 'GET', path: '^/\\.well-known/jwks\\.json(\\?.*)?$' }] },
        },
      ],
    });
    // The Gateway's REST calls, query strings included (Cilium matches the whole `:path`).
    const fromGateway = auth.find((r) => r.fromEntities && r.toPorts[0]?.ports[0]?.port === '3001');
    expect(fromGateway?.toPorts[0]?.rules?.http).toContainEqual({
      method: 'GET',
      path: '^/v1/jwks(\\?.*)?$',
    });
    expect(fromGateway?.toPorts[0]?.rules?.http.map((h) => h.path)).not.toContain(
      '^/v1/access-tokens(\\?.*)?$',
    );
  });
});
