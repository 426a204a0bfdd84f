import {
  ApiException,
  CustomObjectsApi,
  type Informer,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  KubernetesObjectApi,
  type ListPromise,
  makeInformer,
  type ObjectCache,
  type V1APIResource,
} from '@kubernetes/client-node';
import { type GirokPlatform, GROUP, PLURAL, VERSION } from '../api/platform.ts';
import type { OperatorMetrics } from '../metrics.ts';
import { WorkQueue } from '../queue/work-queue.ts';
import { OWNED_KINDS } from '../specs/desired.ts';
import { INSTANCE_LABEL, MANAGED_BY } from '../specs/platform-view.ts';
import type { PlatformReconciler } from './platform-reconciler.ts';

export interface ControllerOptions {
  readonly kc: KubeConfig;
  readonly reconciler: PlatformReconciler;
  readonly metrics: OperatorMetrics;
  readonly log: (message: string, fields?: Record<string, unknown>) => void;
  /** Every so often each platform is reconciled even without an event, to repair what no watch saw. */
  readonly resyncMs: number;
  readonly concurrency: number;
  /** How often to look again for an owned kind the server does not serve yet (its CRD not installed). */
  readonly discoveryMs?: number;
}

const CHILD_SELECTOR = `app.kubernetes.io/managed-by=${MANAGED_BY}`;

type AnyInformer = Informer<KubernetesObject> & ObjectCache<KubernetesObject>;
const watch = <T extends KubernetesObject>(
  kc: KubeConfig,
  path: string,
  list: ListPromise<T>,
  selector?: string,
) => makeInformer(kc, path, list, selector) as unknown as AnyInformer;

/** The object API with its discovery (resource names, whether a kind is served) made public. */
class ObjectApi extends KubernetesObjectApi {
  /** The kind's resource, or undefined when the server does not serve it (e.g. its CRD is not installed). */
  async served(apiVersion: string, kind: string): Promise<V1APIResource | undefined> {
    try {
      return await this.resource(apiVersion, kind);
    } catch (e) {
      if (e instanceof ApiException && e.code === 404) return undefined;
      throw e;
    }
  }
}

/** Watches GirokPlatforms and their children and feeds the per-key queue the reconciler drains. */
export class PlatformController {
  private readonly o: ControllerOptions;
  private readonly queue: WorkQueue;
  private readonly informers: AnyInformer[] = [];
  private resync?: NodeJS.Timeout;
  private discovery?: NodeJS.Timeout;
  private stopping = false;

  constructor(options: ControllerOptions) {
    this.o = options;
    this.queue = new WorkQueue((key) => this.reconcile(key), {
      concurrency: options.concurrency,
      baseDelayMs: 200,
      maxDelayMs: 60_000,
      onMetrics: (event, value) => options.metrics.queue(event, value),
    });
  }

  private async reconcile(key: string) {
    const [namespace = '', name = ''] = key.split('/');
    const started = performance.now();
    try {
      const result = await this.o.reconciler.reconcile(namespace, name);
      this.o.metrics.reconciled(
        result.requeueAfterMs === undefined ? 'success' : 'requeue_after',
        (performance.now() - started) / 1000,
      );
      return result;
    } catch (e) {
      this.o.metrics.reconciled('error', (performance.now() - started) / 1000);
      this.o.log(`reconciling ${key} failed; retrying with backoff`, {
        error: e instanceof Error ? e.message : String(e),
      });
      throw e;
    }
  }

  async start(): Promise<void> {
    const { kc } = this.o;
    const custom = kc.makeApiClient(CustomObjectsApi);
    const platforms = watch(
      kc,
      `/apis/${GROUP}/${VERSION}/${PLURAL}`,
      () =>
        custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL }) as Promise<
          KubernetesListObject<GirokPlatform>
        >,
    );
    const enqueueOwn = (o: KubernetesObject) =>
      this.queue.add(`${o.metadata?.namespace}/${o.metadata?.name}`);
    platforms.on('add', enqueueOwn);
    platforms.on('update', enqueueOwn);
    platforms.on('delete', enqueueOwn);
    await this.run(platforms);
    this.informers.push(platforms);

    await this.watchChildren();
    this.resync = setInterval(() => {
      for (const p of platforms.list()) enqueueOwn(p);
    }, this.o.resyncMs);
    this.resync.unref();
  }

  /**
   * A change to any child of any owned kind (drift, deletion, a Deployment becoming Available)
   * requeues its platform. A kind the server does not serve yet is watched once it is.
   */
  private async watchChildren(): Promise<void> {
    const { kc } = this.o;
    const objects = kc.makeApiClient(ObjectApi);
    const enqueueOwner = (o: KubernetesObject) => {
      const instance = o.metadata?.labels?.[INSTANCE_LABEL];
      if (instance) this.queue.add(`${o.metadata?.namespace}/${instance}`);
    };
    const pending = new Map(OWNED_KINDS.map((k) => [`${k.apiVersion}/${k.kind}`, k]));
    const discover = async () => {
      for (const [key, { apiVersion, kind }] of pending) {
        let resource: V1APIResource | undefined;
        try {
          resource = await objects.served(apiVersion, kind);
        } catch (e) {
          this.o.log(`looking up ${kind} (${apiVersion}) failed; trying again later`, { error: String(e) });
          continue;
        }
        if (!resource) continue;
        const path = `/${apiVersion.includes('/') ? 'apis' : 'api'}/${apiVersion}/${resource.name}`;
        const informer = watch(
          kc,
          path,
          () =>
            objects.list(
              apiVersion,
              kind,
              undefined,
              undefined,
              undefined,
              undefined,
              undefined,
              CHILD_SELECTOR,
            ),
          CHILD_SELECTOR,
        );
        informer.on('update', enqueueOwner);
        informer.on('delete', enqueueOwner);
        await this.run(informer);
        this.informers.push(informer);
        pending.delete(key);
      }
      if (pending.size > 0 && !this.stopping) {
        const kinds = [...pending.values()].map((k) => `${k.kind} (${k.apiVersion})`);
        this.o.log(
          `not served by the API server, watched once their CRDs are installed: ${kinds.join(', ')}`,
        );
        this.discovery = setTimeout(
          () =>
            void discover().catch((e: unknown) =>
              this.o.log('watching a newly served kind failed', { error: String(e) }),
            ),
          this.o.discoveryMs ?? 30_000,
        );
        this.discovery.unref();
      }
    };
    await discover();
  }

  /** Starts an informer, restarting its watch whenever it fails. */
  private async run(informer: AnyInformer): Promise<void> {
    informer.on('error', (err: unknown) => {
      if (this.stopping) return;
      this.o.log('watch failed; restarting it', { error: String(err) });
      setTimeout(() => void informer.start().catch(() => {}), 1000).unref();
    });
    await informer.start();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.resync) clearInterval(this.resync);
    if (this.discovery) clearTimeout(this.discovery);
    for (const informer of this.informers) await informer.stop();
    await this.queue.shutdown();
  }

  /** Resolves when the queue has nothing left to do right now. */
  idle(): Promise<void> {
    return this.queue.idle();
  }
}
