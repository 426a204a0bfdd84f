import type { KubernetesObject, V1Deployment, V1Pod, V1Secret } from '@kubernetes/client-node';
import { FINALIZER, type GirokPlatform, PAUSED_ANNOTATION } from '../api/platform.ts';
import {
  type Cluster,
  describeError,
  describeRef,
  FIELD_MANAGER,
  KindNotServedError,
  refOf,
} from '../k8s/cluster.ts';
import { differences, needsApply, withAppliedHash } from '../k8s/compare.ts';
import {
  type CorednsSnippet,
  corednsConfigMap,
  gatewayAddresses,
  publicHostRules,
} from '../specs/coredns.ts';
import { type DesiredState, desiredState, OWNED_KINDS } from '../specs/desired.ts';
import { GATEWAY_API } from '../specs/gateway.ts';
import { INSTANCE_LABEL, MANAGED_BY, type PlatformView } from '../specs/platform-view.ts';
import { componentKeySecret } from '../specs/secrets.ts';
import type { BrokerAccess, TopicAdmin } from '../topics/topic-admin.ts';
import { mergeConditions } from './conditions.ts';
import { computeStatus, type Observation } from './observe.ts';

/** What a reconcile asks of the loop: done, or look again after a while (waiting is not an error). */
export interface Result {
  readonly requeueAfterMs?: number;
}

export interface ReconcilerOptions {
  readonly cluster: Cluster;
  readonly topics: TopicAdmin;
  readonly clusterDomain: string;
  /** Log the changes it would apply instead of applying them. */
  readonly dryRun: boolean;
  readonly log: (message: string, fields?: Record<string, unknown>) => void;
  readonly now?: () => Date;
  /** How soon to look again while something is still converging. */
  readonly waitRequeueMs?: number;
}

const isRoute = (o: KubernetesObject) => o.apiVersion === GATEWAY_API;
const keyOf = (o: KubernetesObject) => `${o.kind}/${o.metadata?.name}`;
/** JSON with sorted keys: the API server stores custom resources with sorted keys. */
const canonicalJson = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(
        Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
      );
    }
    return v;
  });

/** A Secret the user provides is not there yet: waited for, not retried as a failure. */
class SecretMissingError extends Error {}

/** Reconciles one GirokPlatform: desired state → apply what differs → prune → DNS → topics → status. */
export class PlatformReconciler {
  private readonly o: Required<ReconcilerOptions>;

  constructor(options: ReconcilerOptions) {
    this.o = { now: () => new Date(), waitRequeueMs: 5000, ...options };
  }

  async reconcile(namespace: string, name: string): Promise<Result> {
    const { cluster } = this.o;
    let platform = (await cluster.get({
      apiVersion: 'platform.girok.dev/v1alpha1',
      kind: 'GirokPlatform',
      namespace,
      name,
    })) as GirokPlatform | undefined;
    if (!platform) return {}; // deleted: owner references let the garbage collector remove the children
    const desired = desiredState(platform, this.o.clusterDomain);
    // A pause stops changes to a live platform, never its deletion: a paused platform left
    // terminating would hold its name, and a re-apply of it would be lost.
    if (platform.metadata?.deletionTimestamp) return this.finalize(platform, desired);
    if (platform.metadata?.annotations?.[PAUSED_ANNOTATION] === 'true') {
      this.o.log('paused: no writes', { namespace, name });
      return {};
    }
    if (!platform.metadata?.finalizers?.includes(FINALIZER))
      platform = await this.setFinalizer(platform, true);

    const applyErrors: string[] = [];
    let routesError: string | undefined;
    // One LIST per owned kind, not a GET per child: the compare, the prune and the status all read it.
    const live = await this.listOwned(desired, applyErrors);
    await this.createKeySecrets(platform, desired.view, applyErrors);
    // What Pods need to exist first (their config, and their ServiceAccount, without which the API
    // server refuses to create them), then everything else; each wave in parallel.
    const isConfig = (o: KubernetesObject) => o.kind === 'ConfigMap' || o.kind === 'ServiceAccount';
    for (const wave of [desired.children.filter(isConfig), desired.children.filter((o) => !isConfig(o))]) {
      await Promise.all(
        wave.map(async (child) => {
          try {
            const key = keyOf(child);
            const applied = await this.applyIfChanged(platform, child, live.get(key));
            if (applied) live.set(key, applied);
          } catch (e) {
            const what = `applying ${describeRef(refOf(child))}: ${describeError(e)}`;
            this.o.log(`applying ${describeRef(refOf(child))} failed`, { error: String(e) });
            const raw = e instanceof Error ? e.message : String(e);
            if (!isRoute(child)) applyErrors.push(what);
            else if (/Unrecognized API version and kind|not served|404/.test(raw)) {
              routesError ??=
                'the Gateway API CRDs (gateway.networking.k8s.io/v1, with GRPCRoute) are not installed';
            } else routesError ??= what;
          }
        }),
      );
    }
    await this.prune(platform, desired, live);
    // The public hosts answer with the addresses the Gateway's controller reported (none yet: no answer).
    const gateway = desired.children.find((c) => c.kind === 'Gateway');
    const dns = desired.dns
      ? await this.writeDns(
          platform,
          desired.dns,
          desired.dns.content +
            (gateway ? publicHostRules(desired.view, gatewayAddresses(live.get(keyOf(gateway)))) : ''),
        )
      : undefined;
    const topics = desired.topics ? await this.convergeTopics(platform, desired) : undefined;

    const secrets = await this.checkSecrets(desired);
    const deployments = new Map(
      desired.view.components.map((c) => [
        c.objectName,
        live.get(`Deployment/${c.objectName}`) as V1Deployment | undefined,
      ]),
    );
    let routes: Map<string, KubernetesObject | undefined> | undefined;
    if (desired.children.some(isRoute)) {
      routes = new Map();
      for (const r of desired.children.filter((c) => isRoute(c) && c.kind !== 'Gateway')) {
        routes.set(r.metadata?.name ?? '', routesError ? undefined : live.get(keyOf(r)));
      }
    }
    // The applies ran in parallel: in a fixed order, an unchanged failure writes an unchanged status
    // (a changed one would trigger its own watch event and bypass the backoff).
    applyErrors.sort();
    const seen: Observation = {
      deployments,
      pods: await this.listPods(desired.view, applyErrors),
      ...(routes ? { routes } : {}),
      ...(routesError ? { routesError } : {}),
      ...(dns ? { dns } : {}),
      ...(topics ? { topics } : {}),
      applyErrors,
      secrets,
    };
    const { ready, errors } = await this.writeStatus(platform, desired, seen);
    // A failure retries with the queue's per-key backoff (a struggling API server is not hammered
    // every few seconds); waiting for something to converge is a requeue, not an error.
    if (errors.length > 0) throw new Error(`${errors.length} step(s) failed, first: ${errors[0]}`);
    return ready ? {} : { requeueAfterMs: this.o.waitRequeueMs };
  }

  /** One idiom per owned object: build, compare, apply only on difference, emit an Event. */
  private async applyIfChanged(
    platform: GirokPlatform,
    child: KubernetesObject,
    live: KubernetesObject | undefined,
  ): Promise<KubernetesObject | undefined> {
    const desired = withAppliedHash(child);
    if (!needsApply(desired, live)) return undefined;
    const what = describeRef(refOf(desired));
    if (this.o.dryRun) {
      this.o.log(
        `dry-run: would ${live ? 'update' : 'create'} ${what}`,
        live ? { changes: differences(desired, live) } : { object: desired },
      );
      return undefined;
    }
    const applied = await this.o.cluster.apply(desired);
    await this.o.cluster.event(
      platform,
      'Normal',
      live ? 'Updated' : 'Created',
      `${live ? 'updated' : 'created'} ${what}`,
    );
    return applied;
  }

  /**
   * The platform's children as they are, by `Kind/name`: one LIST per owned kind with its labels.
   * List items carry no apiVersion/kind, so they are filled in to compare like a GET's answer.
   */
  private async listOwned(desired: DesiredState, errors: string[]): Promise<Map<string, KubernetesObject>> {
    const selector = `${INSTANCE_LABEL}=${desired.view.name},app.kubernetes.io/managed-by=${MANAGED_BY}`;
    const lists = await Promise.all(
      OWNED_KINDS.map(async ({ apiVersion, kind }) => {
        try {
          const items = await this.o.cluster.list(apiVersion, kind, desired.view.namespace, selector);
          return items.map((o) => ({ ...o, apiVersion, kind }));
        } catch (e) {
          if (!(e instanceof KindNotServedError)) {
            this.o.log(`listing ${kind} failed`, { error: String(e) });
            errors.push(`listing ${kind}: ${describeError(e)}`);
          }
          return [];
        }
      }),
    );
    return new Map(lists.flat().map((o) => [keyOf(o), o]));
  }

  /**
   * Creates each component's key Secret when it does not exist, and never writes it again: its
   * keys encrypt data at rest, so an existing one (rotated, or restored from a backup) is left as
   * it is. Not among the owned kinds, so never pruned either.
   */
  private async createKeySecrets(platform: GirokPlatform, view: PlatformView, errors: string[]) {
    const wanted = view.components.filter((c) => c.generatedKeys?.length);
    await Promise.all(
      wanted.map(async (c) => {
        const what = `Secret ${view.namespace}/${c.keysSecretName}`;
        try {
          // One GET per Secret, not a LIST: the operator may not list Secrets (it would read them all).
          const ref = { apiVersion: 'v1', kind: 'Secret', namespace: view.namespace, name: c.keysSecretName };
          if (await this.o.cluster.get(ref)) return;
          const secret = componentKeySecret(view, c);
          if (!secret) return;
          if (this.o.dryRun) {
            this.o.log(`dry-run: would generate ${what} (${c.generatedKeys?.map((k) => k.key).join(', ')})`);
            return;
          }
          // Created meanwhile by someone else: theirs is kept.
          if (await this.o.cluster.createIfAbsent(secret)) {
            await this.o.cluster.event(platform, 'Normal', 'KeysGenerated', `generated ${what}`);
          }
        } catch (e) {
          this.o.log(`creating ${what} failed`, { error: String(e) });
          errors.push(`creating ${what}: ${describeError(e)}`);
        }
      }),
    );
  }

  /** The platform's Pods: a container that cannot start is named in the ComponentFailing condition. */
  private async listPods(view: PlatformView, errors: string[]): Promise<V1Pod[]> {
    try {
      const selector = `${INSTANCE_LABEL}=${view.name},app.kubernetes.io/managed-by=${MANAGED_BY}`;
      return (await this.o.cluster.list('v1', 'Pod', view.namespace, selector)) as V1Pod[];
    } catch (e) {
      this.o.log('listing Pods failed', { error: String(e) });
      errors.push(`listing Pods: ${describeError(e)}`);
      return [];
    }
  }

  /** Deletes what carries this platform's labels but is no longer desired. */
  private async prune(
    platform: GirokPlatform,
    desired: DesiredState,
    live: ReadonlyMap<string, KubernetesObject>,
  ) {
    const keep = new Set(desired.children.map(keyOf));
    const doomed = [...live.values()].filter((o) => !keep.has(keyOf(o)));
    await Promise.all(
      doomed.map(async (object) => {
        const what = describeRef(refOf(object));
        if (this.o.dryRun) {
          this.o.log(`dry-run: would delete ${what}`);
          return;
        }
        await this.o.cluster.delete(refOf(object));
        await this.o.cluster.event(platform, 'Normal', 'Pruned', `deleted ${what}, no longer desired`);
      }),
    );
  }

  /** The shared CoreDNS ConfigMap, applied with a field manager of this platform's own so it owns only its key. */
  private async writeDns(
    platform: GirokPlatform,
    snippet: CorednsSnippet,
    // undefined removes the key (no default value here: an explicit undefined would pick it up)
    content: string | undefined,
  ) {
    const manager = `${FIELD_MANAGER}/${platform.metadata?.namespace}/${platform.metadata?.name}`;
    try {
      const live = await this.o.cluster.get({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: snippet.namespace,
        name: snippet.configMap,
      });
      const current = (live as { data?: Record<string, string> } | undefined)?.data?.[snippet.key];
      if (current !== content && !(content === undefined && live === undefined)) {
        if (this.o.dryRun)
          this.o.log(`dry-run: would ${content ? 'write' : 'remove'} CoreDNS key ${snippet.key}`);
        else {
          await this.o.cluster.apply(corednsConfigMap(snippet, content), manager);
          await this.o.cluster.event(
            platform,
            'Normal',
            'DnsUpdated',
            `${content ? 'wrote' : 'removed'} ${snippet.namespace}/${snippet.configMap} key ${snippet.key}`,
          );
        }
      }
      return { ok: true as const };
    } catch (e) {
      this.o.log('writing the CoreDNS snippet failed', { error: String(e) });
      return {
        ok: false as const,
        message: `writing the CoreDNS snippet ${snippet.namespace}/${snippet.configMap}: ${describeError(e)}`,
      };
    }
  }

  /** Whether each Secret the children reference exists with the keys they read (the values are never read out). */
  private async checkSecrets(desired: DesiredState): Promise<Observation['secrets']> {
    const found = await Promise.all(
      desired.secrets.map(async (needed) => {
        const secret = (await this.o.cluster.get({
          apiVersion: 'v1',
          kind: 'Secret',
          namespace: desired.view.namespace,
          name: needed.name,
        })) as V1Secret | undefined;
        const who = needed.neededBy.join(', ');
        if (!secret)
          return [
            {
              reason: 'SecretMissing' as const,
              message: `Secret ${desired.view.namespace}/${needed.name}, needed by ${who}, does not exist`,
            },
          ];
        const absent = needed.keys.filter((k) => secret.data?.[k] === undefined);
        return absent.length === 0
          ? []
          : [
              {
                reason: 'SecretKeyMissing' as const,
                message: `Secret ${desired.view.namespace}/${needed.name}, needed by ${who}, has no key ${absent.join(', ')}`,
              },
            ];
      }),
    );
    return found.flat();
  }

  private async brokerAccess(platform: GirokPlatform, desired: DesiredState): Promise<BrokerAccess> {
    const { events } = desired.view.spec;
    const brokers = events?.brokers ?? [];
    if (!events?.authSecretName) return { brokers };
    const secret = (await this.o.cluster.get({
      apiVersion: 'v1',
      kind: 'Secret',
      namespace: platform.metadata?.namespace ?? '',
      name: events.authSecretName,
    })) as V1Secret | undefined;
    if (!secret)
      throw new SecretMissingError(
        `Secret ${events.authSecretName} (spec.events.authSecretName) does not exist`,
      );
    const read = (key: string) => Buffer.from(secret.data?.[key] ?? '', 'base64').toString();
    if (!read('username') || !read('password')) {
      throw new Error(
        `Secret ${events.authSecretName} (spec.events.authSecretName) needs the keys username and password`,
      );
    }
    return { brokers, sasl: { username: read('username'), password: read('password') } };
  }

  private async convergeTopics(platform: GirokPlatform, desired: DesiredState) {
    try {
      if (this.o.dryRun) return { ok: true as const, topics: [] };
      const topics = await this.o.topics.converge(
        await this.brokerAccess(platform, desired),
        desired.topics ?? [],
      );
      return { ok: true as const, topics };
    } catch (e) {
      if (e instanceof SecretMissingError)
        return { ok: false as const, message: e.message, secretMissing: true as const };
      this.o.log('converging topics failed', { error: String(e) });
      return {
        ok: false as const,
        message: `converging topics on ${desired.view.spec.events?.brokers.join(',')}: ${describeError(e)}`,
      };
    }
  }

  private async writeStatus(
    platform: GirokPlatform,
    desired: DesiredState,
    seen: Observation,
  ): Promise<{ ready: boolean; errors: readonly string[] }> {
    const computed = computeStatus(desired.view, seen);
    const generation = platform.metadata?.generation ?? 0;
    const { hosts, zone } = desired.view;
    const status = {
      observedGeneration: generation,
      conditions: mergeConditions(platform.status?.conditions, computed.conditions, generation, this.o.now()),
      services: computed.services,
      endpoints: {
        ...(seen.routes
          ? { grpc: `${hosts.grpc}:443`, api: `https://${hosts.api}`, bff: `https://${hosts.bff}` }
          : {}),
        ...(seen.dns ? { dns: zone } : {}),
      },
      ...(seen.topics?.ok ? { topics: seen.topics.topics } : {}),
    };
    if (canonicalJson(status) !== canonicalJson(platform.status ?? {}) && !this.o.dryRun) {
      await this.o.cluster.replaceStatus({ ...platform, status });
      const was = platform.status?.conditions?.find((c) => c.type === 'Ready')?.status;
      if (computed.ready && was !== 'True')
        await this.o.cluster.event(platform, 'Normal', 'Ready', 'the platform is ready');
      const [first, ...more] = computed.errors;
      if (first) {
        // One sentence: the condition lists every error, the log has each in full.
        const rest = more.length > 0 ? ` (and ${more.length} more: see the Degraded condition)` : '';
        await this.o.cluster.event(platform, 'Warning', 'Degraded', `${first}${rest}`);
      }
    }
    return { ready: computed.ready, errors: computed.errors };
  }

  /** Returns the platform as the write left it, so the status write that follows is not stale. */
  private async setFinalizer(platform: GirokPlatform, present: boolean): Promise<GirokPlatform> {
    if (this.o.dryRun) return platform;
    return (await this.o.cluster.apply({
      apiVersion: platform.apiVersion ?? '',
      kind: platform.kind ?? '',
      metadata: {
        name: platform.metadata?.name ?? '',
        namespace: platform.metadata?.namespace ?? '',
        finalizers: present ? [FINALIZER] : [],
      },
    })) as GirokPlatform;
  }

  /** Cleans what owner references cannot reach; the finalizer goes in `finally` so a failing cleanup cannot wedge the object. */
  private async finalize(platform: GirokPlatform, desired: DesiredState): Promise<Result> {
    if (!platform.metadata?.finalizers?.includes(FINALIZER)) return {};
    try {
      if (desired.dns) {
        const removed = await this.writeDns(platform, desired.dns, undefined);
        if (!removed.ok) this.o.log(removed.message);
      }
      if (desired.topics && desired.view.spec.events?.deleteTopicsOnDelete) {
        await this.o.topics.remove(
          await this.brokerAccess(platform, desired),
          desired.topics.map((t) => t.name),
        );
      }
    } catch (e) {
      this.o.log(`cleanup of ${platform.metadata?.namespace}/${platform.metadata?.name} failed`, {
        error: String(e),
      });
    } finally {
      await this.setFinalizer(platform, false);
    }
    return {};
  }
}
