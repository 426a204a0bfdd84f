import { describe, expect, it } from 'vitest';
import { componentConfigMap } from './configmap.ts';
import { corednsSnippet } from './coredns.ts';
import { componentDeployment } from './deployment.ts';
import { desiredState } from './desired.ts';
import { platformFixture } from './fixtures.ts';
import { grpcRoute, platformGateway } from './gateway.ts';
import { ciliumNetworkPolicies, kubernetesNetworkPolicies } from './network-policy.ts';
import { componentPdb } from './pdb.ts';
import { type PlatformView, viewOf } from './platform-view.ts';
import { componentService } from './service.ts';
import { desiredTopics } from './topics.ts';

const component = (view: PlatformView, key: string) => {
  const c = view.components.find((x) => x.key === key);
  if (!c) throw new Error(`no component ${key}`);
  return c;
};

describe('Deployment', () => {
  it('runs registry/image:version with 2 replicas by default and the spec’s count when given', () => {
    const view = viewOf(platformFixture({ services: { auth: { replicas: 5 } } }));
    const identity = componentDeployment(view, component(view, 'identity'));
    expect(identity.metadata?.name).toBe('girok-identity');
    expect(identity.spec?.replicas).toBe(2);
    expect(identity.spec?.template.spec?.containers[0]?.image).toBe('ghcr.io/girok/identity-service:1.4.2');
    expect(componentDeployment(view, component(view, 'auth')).spec?.replicas).toBe(5);
  });

  it('runs as non-root on a read-only root filesystem with no privilege escalation', () => {
    const view = viewOf(platformFixture());
    const pod = componentDeployment(view, component(view, 'legal')).spec?.template.spec;
    expect(pod?.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 10001,
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
    const env = componentDeployment(view, component(view, 'identity')).spec?.template.spec?.containers[0]
      ?.env;
    expect(env).toEqual([
      { name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'identity-pg', key: 'uri' } } },
    ]);
    const auth = componentDeployment(view, component(view, 'auth')).spec?.template.spec?.containers[0]?.env;
    expect(auth).toEqual([
      { name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'girok-auth-database', key: 'url' } } },
    ]);
    const bff = componentDeployment(view, component(view, 'authBff')).spec?.template.spec?.containers[0];
    expect(bff?.env).toBeUndefined();
  });

  it('probes /health/live and /health/ready on the REST port', () => {
    const view = viewOf(platformFixture());
    const container = componentDeployment(view, component(view, 'audit')).spec?.template.spec?.containers[0];
    expect(container?.livenessProbe?.httpGet).toEqual({ path: '/health/live', port: 'http' });
    expect(container?.readinessProbe?.httpGet).toEqual({ path: '/health/ready', port: 'http' });
    expect(container?.ports).toEqual([
      { name: 'http', containerPort: 3010, protocol: 'TCP' },
      { name: 'grpc', containerPort: 50054, protocol: 'TCP' },
    ]);
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
      KAFKA_BROKERS: 'a:9092,b:9092',
      IDENTITY_GRPC_ADDRESS: 'girok-identity:50051',
      AUTH_GRPC_ADDRESS: 'girok-auth:50052',
      LEGAL_GRPC_ADDRESS: 'girok-legal:50053',
      AUDIT_GRPC_ADDRESS: 'girok-audit:50054',
    });
  });
});

describe('Service', () => {
  it('exposes REST and gRPC, the gRPC port marked h2c for the gateway', () => {
    const view = viewOf(platformFixture());
    expect(componentService(view, component(view, 'identity')).spec?.ports).toEqual([
      { name: 'http', port: 3000, targetPort: 'http', protocol: 'TCP', appProtocol: 'http' },
      { name: 'grpc', port: 50051, targetPort: 'grpc', protocol: 'TCP', appProtocol: 'kubernetes.io/h2c' },
    ]);
    expect(componentService(view, component(view, 'authBff')).spec?.ports?.map((p) => p.name)).toEqual([
      'http',
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

  it('routes each proto service, matched exactly, to its backend’s gRPC port', () => {
    const view = viewOf(platformFixture({ gateway: { enabled: true, tlsSecretName: 'girok-tls' } }));
    const route = grpcRoute(view);
    expect(route?.spec.hostnames).toEqual(['grpc-dev.girok.dev']);
    expect(route?.spec.rules).toEqual(
      [
        ['girok.identity.v1.IdentityService', 'girok-identity', 50051],
        ['girok.auth.v1.AuthService', 'girok-auth', 50052],
        ['girok.legal.v1.LegalService', 'girok-legal', 50053],
        ['girok.audit.v1.AuditService', 'girok-audit', 50054],
      ].map(([service, name, port]) => ({
        matches: [{ method: { type: 'Exact', service } }],
        backendRefs: [{ group: '', kind: 'Service', name, port, weight: 1 }],
      })),
    );
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
});

describe('desired state', () => {
  it('labels every child as ours and owns it through the platform', () => {
    const { children } = desiredState(
      platformFixture({ gateway: { enabled: true, tlsSecretName: 't' } }),
      'cluster.local',
    );
    expect(children.length).toBe(5 * 4 + 4);
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

  it('has no topics without an events section', () => {
    expect(desiredState(platformFixture(), 'cluster.local').topics).toBeUndefined();
  });
});

describe('network policies', () => {
  it('must not exist unless enabled', () => {
    expect(kubernetesNetworkPolicies(viewOf(platformFixture()))).toEqual([]);
    expect(ciliumNetworkPolicies(viewOf(platformFixture({ networkPolicy: { enabled: true } })))).toEqual([]);
  });

  it('deny ingress by default and open only the exposed ports and internal gRPC', () => {
    const policies = kubernetesNetworkPolicies(viewOf(platformFixture({ networkPolicy: { enabled: true } })));
    expect(policies.map((p) => p.metadata?.name)).toEqual([
      'girok-default-deny',
      'girok-allow-gateway',
      'girok-allow-internal-grpc',
    ]);
    expect(policies[0]?.spec).toEqual({
      podSelector: {
        matchLabels: { 'app.kubernetes.io/part-of': 'girok', 'app.kubernetes.io/instance': 'girok' },
      },
      policyTypes: ['Ingress'],
    });
    expect(policies[2]?.spec?.ingress?.[0]?.ports?.map((p) => p.port)).toEqual([50051, 50052, 50053, 50054]);
  });

  it('with Cilium, let only the ingress entity reach the exposed ports', () => {
    const [gateway] = ciliumNetworkPolicies(
      viewOf(platformFixture({ networkPolicy: { enabled: true, flavor: 'cilium' } })),
    );
    expect(gateway?.apiVersion).toBe('cilium.io/v2');
    const ingress = gateway?.spec.ingress as { fromEntities: string[] }[] | undefined;
    expect(ingress?.[0]?.fromEntities).toEqual(['ingress']);
  });
});
