import type { KubernetesObject, V1Deployment, V1Pod } from '@kubernetes/client-node';
import type { ComponentKey, ComponentStatus } from '../api/platform.ts';
import type { PlatformView } from '../specs/platform-view.ts';
import type { ConditionState, ConditionType } from './conditions.ts';

/** What one reconcile saw of the world, from which the status is computed (a pure function). */
export interface Observation {
  readonly deployments: ReadonlyMap<string, V1Deployment | undefined>;
  /** Live routes by name; undefined when the gateway is disabled. */
  readonly routes?: ReadonlyMap<string, KubernetesObject | undefined>;
  /** Why the routes could not be written (e.g. Gateway API CRDs missing). */
  readonly routesError?: string;
  /** undefined: DNS disabled; otherwise whether the snippet is in place or why not. */
  readonly dns?: { readonly ok: true } | { readonly ok: false; readonly message: string };
  /** undefined: no events section; otherwise the topics found after converging, or the failure. */
  readonly topics?:
    | { readonly ok: true; readonly topics: { name: string; partitions: number }[] }
    | { readonly ok: false; readonly message: string; readonly secretMissing?: true };
  readonly applyErrors: readonly string[];
  /** The platform's Pods, to tell a component that cannot start from one still starting. */
  readonly pods?: readonly V1Pod[];
  /** Each referenced Secret that is missing, or lacks a key its readers need. */
  readonly secrets: readonly {
    readonly reason: 'SecretMissing' | 'SecretKeyMissing';
    readonly message: string;
  }[];
}

/** Waiting reasons that do not pass on their own: the container crashed, or cannot be created or pulled. */
const FAILING_REASONS = new Set([
  'CrashLoopBackOff',
  'CreateContainerConfigError',
  'CreateContainerError',
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'RunContainerError',
]);
const MESSAGE_MAX = 240;

/** The first non-empty line of what the container left (its termination message), trimmed. */
const firstLine = (text: string | undefined): string | undefined => {
  const line = text
    ?.split('\n')
    .map((l) => l.trim())
    .find((l) => l !== '');
  return line && line.length > MESSAGE_MAX ? `${line.slice(0, MESSAGE_MAX - 1)}…` : line;
};

/**
 * Why a component's Pods cannot start, or undefined: the first failing container's waiting reason
 * with the first line of its last termination message (what the service wrote to
 * /dev/termination-log, or its last log lines), e.g.
 * `CrashLoopBackOff: identity-service: Invalid configuration: IDENTITY_KEY_RING is required`.
 */
export function podFailure(pods: readonly V1Pod[]): string | undefined {
  for (const pod of pods) {
    for (const s of [
      ...(pod.status?.initContainerStatuses ?? []),
      ...(pod.status?.containerStatuses ?? []),
    ]) {
      const waiting = s.state?.waiting;
      if (!waiting?.reason || !FAILING_REASONS.has(waiting.reason)) continue;
      const last = s.lastState?.terminated;
      const why =
        firstLine(last?.message) ??
        firstLine(waiting.message) ??
        (last ? `exit code ${last.exitCode}${last.reason ? ` (${last.reason})` : ''}` : undefined);
      return why ? `${waiting.reason}: ${why}` : waiting.reason;
    }
  }
  return undefined;
}

const deploymentReady = (d: V1Deployment | undefined, replicas: number): boolean =>
  d !== undefined &&
  (d.status?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) &&
  (d.status?.updatedReplicas ?? 0) >= replicas &&
  (d.status?.availableReplicas ?? 0) >= replicas &&
  (replicas === 0 ||
    d.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True') === true);

interface RouteStatus {
  status?: { parents?: { parentRef: { name: string }; conditions?: { type: string; status: string }[] }[] };
}

const routeAccepted = (route: KubernetesObject | undefined, gateway: string): boolean => {
  const parents =
    (route as RouteStatus | undefined)?.status?.parents?.filter((p) => p.parentRef.name === gateway) ?? [];
  const isTrue = (p: (typeof parents)[number], type: string) =>
    p.conditions?.some((c) => c.type === type && c.status === 'True');
  return parents.length > 0 && parents.every((p) => isTrue(p, 'Accepted') && isTrue(p, 'ResolvedRefs'));
};

export interface ComputedStatus {
  readonly conditions: Record<ConditionType, ConditionState>;
  readonly services: Partial<Record<ComponentKey, ComponentStatus>>;
  readonly ready: boolean;
  /** Each failure of this reconcile, one sentence each. */
  readonly errors: readonly string[];
}

export function computeStatus(view: PlatformView, seen: Observation): ComputedStatus {
  const services: Partial<Record<ComponentKey, ComponentStatus>> = {};
  const waiting: string[] = [];
  for (const c of view.components) {
    const d = seen.deployments.get(c.objectName);
    services[c.key] = { image: c.image, replicas: c.replicas, readyReplicas: d?.status?.readyReplicas ?? 0 };
    if (!deploymentReady(d, c.replicas))
      waiting.push(`${c.name} ${d?.status?.availableReplicas ?? 0}/${c.replicas}`);
  }
  const servicesReady: ConditionState =
    waiting.length === 0
      ? { status: 'True', reason: 'AllAvailable', message: `${view.components.length} components available` }
      : { status: 'False', reason: 'WaitingForReplicas', message: `available: ${waiting.join(', ')}` };

  let routesReady: ConditionState;
  if (!seen.routes)
    routesReady = {
      status: 'True',
      reason: 'GatewayDisabled',
      message: 'the gateway is off (spec.gateway has no tlsSecretName, or enabled: false)',
    };
  else if (seen.routesError)
    routesReady = { status: 'False', reason: 'RoutesNotApplied', message: seen.routesError };
  else {
    const pending = [...seen.routes].filter(([, r]) => !routeAccepted(r, view.name)).map(([name]) => name);
    routesReady =
      pending.length === 0
        ? { status: 'True', reason: 'Accepted', message: 'every route is Accepted with resolved refs' }
        : {
            status: 'False',
            reason: 'WaitingForGateway',
            message: `not yet Accepted/ResolvedRefs: ${pending.join(', ')}`,
          };
  }

  const dnsReady: ConditionState = !seen.dns
    ? { status: 'True', reason: 'Disabled', message: 'spec.dns.enabled is false' }
    : seen.dns.ok
      ? {
          status: 'True',
          reason: 'SnippetWritten',
          message: `names under ${view.zone} resolve to the Services`,
        }
      : { status: 'False', reason: 'SnippetFailed', message: seen.dns.message };

  const topicsReady: ConditionState = !seen.topics
    ? { status: 'True', reason: 'NoEvents', message: 'no spec.events section' }
    : seen.topics.ok
      ? { status: 'True', reason: 'Converged', message: `${seen.topics.topics.length} topics converged` }
      : {
          status: 'False',
          reason: seen.topics.secretMissing ? 'SecretMissing' : 'BrokerUnavailable',
          message: seen.topics.message,
        };

  const failing = view.components.flatMap((c) => {
    const why = podFailure(
      (seen.pods ?? []).filter((p) => p.metadata?.labels?.['app.kubernetes.io/name'] === c.name),
    );
    return why ? [`${c.name}: ${why}`] : [];
  });
  const componentFailing: ConditionState =
    failing.length > 0
      ? { status: 'True', reason: 'ContainersFailing', message: failing.join('; ') }
      : { status: 'False', reason: 'NoneFailing', message: 'no component is failing to start' };

  const [firstSecret] = seen.secrets;
  const secretsReady: ConditionState = firstSecret
    ? {
        status: 'False',
        reason: firstSecret.reason,
        message: seen.secrets.map((s) => s.message).join('; '),
      }
    : { status: 'True', reason: 'AllPresent', message: 'every Secret the components read exists' };

  // What the user must provide comes first: without it the rest cannot work.
  const parts = [secretsReady, servicesReady, routesReady, dnsReady, topicsReady];
  const errors = [
    ...seen.applyErrors,
    ...failing,
    ...(seen.routesError ? [seen.routesError] : []),
    ...(seen.dns && !seen.dns.ok ? [seen.dns.message] : []),
    // A missing Secret is the user's to provide (SecretsReady says so), not a failure to retry.
    ...(seen.topics && !seen.topics.ok && !seen.topics.secretMissing ? [seen.topics.message] : []),
  ];
  const ready = parts.every((p) => p.status === 'True') && errors.length === 0;
  return {
    services,
    ready,
    errors,
    conditions: {
      Ready: ready
        ? {
            status: 'True',
            reason: 'Ready',
            message: 'every component, route, DNS name and topic is in place',
          }
        : {
            status: 'False',
            reason: errors.length > 0 ? 'Degraded' : 'Progressing',
            // A missing Secret first (it is often why a container fails), then a failing container.
            message: firstSecret ? secretsReady.message : (failing[0] ?? firstFalse(parts)),
          },
      Progressing: ready
        ? { status: 'False', reason: 'Converged', message: 'nothing left to do' }
        : { status: 'True', reason: 'Converging', message: firstFalse(parts) },
      Degraded:
        errors.length > 0
          ? { status: 'True', reason: 'Errors', message: errors.join('; ') }
          : { status: 'False', reason: 'NoErrors', message: 'no errors' },
      SecretsReady: secretsReady,
      ServicesReady: servicesReady,
      RoutesReady: routesReady,
      DnsReady: dnsReady,
      TopicsReady: topicsReady,
      ComponentFailing: componentFailing,
    },
  };
}

const firstFalse = (parts: readonly ConditionState[]) =>
  parts.find((p) => p.status !== 'True')?.message ?? 'waiting for the last write to be observed';
