import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type Informer,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type ListPromise,
  makeInformer,
  type ObjectCache,
} from '@kubernetes/client-node';
import { type GirokPlatform, GROUP, PLURAL, VERSION } from '../api/platform.ts';
import type { OperatorMetrics } from '../metrics.ts';
import { WorkQueue } from '../queue/work-queue.ts';
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
}

const CHILD_SELECTOR = `app.kubernetes.io/managed-by=${MANAGED_BY}`;

type AnyInformer = Informer<KubernetesObject> & ObjectCache<KubernetesObject>;
const watch = <T extends KubernetesObject>(
  kc: KubeConfig,
  path: string,
  list: ListPromise<T>,
  selector?: string,
) => makeInformer(kc, path, list, selector) as unknown as AnyInformer;

/** Watches GirokPlatforms and their children and feeds the per-key queue the reconciler drains. */
export class PlatformController {
  private readonly o: ControllerOptions;
  private readonly queue: WorkQueue;
  private readonly informers: AnyInformer[] = [];
  private resync?: NodeJS.Timeout;
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
    const apps = kc.makeApiClient(AppsV1Api);
    const core = kc.makeApiClient(CoreV1Api);
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

    // A change to any child (drift, deletion, a Deployment becoming Available) requeues its platform.
    const enqueueOwner = (o: KubernetesObject) => {
      const instance = o.metadata?.labels?.[INSTANCE_LABEL];
      if (instance) this.queue.add(`${o.metadata?.namespace}/${instance}`);
    };
    const children = [
      watch(
        kc,
        '/apis/apps/v1/deployments',
        () => apps.listDeploymentForAllNamespaces({ labelSelector: CHILD_SELECTOR }),
        CHILD_SELECTOR,
      ),
      watch(
        kc,
        '/api/v1/services',
        () => core.listServiceForAllNamespaces({ labelSelector: CHILD_SELECTOR }),
        CHILD_SELECTOR,
      ),
      watch(
        kc,
        '/api/v1/configmaps',
        () => core.listConfigMapForAllNamespaces({ labelSelector: CHILD_SELECTOR }),
        CHILD_SELECTOR,
      ),
    ];
    for (const informer of children) {
      informer.on('update', enqueueOwner);
      informer.on('delete', enqueueOwner);
    }
    this.informers.push(platforms, ...children);
    for (const informer of this.informers) {
      informer.on('error', (err: unknown) => {
        if (this.stopping) return;
        this.o.log('watch failed; restarting it', { error: String(err) });
        setTimeout(() => void informer.start().catch(() => {}), 1000).unref();
      });
      await informer.start();
    }
    this.resync = setInterval(() => {
      for (const p of this.informers[0]?.list() ?? []) enqueueOwn(p);
    }, this.o.resyncMs);
    this.resync.unref();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.resync) clearInterval(this.resync);
    for (const informer of this.informers) await informer.stop();
    await this.queue.shutdown();
  }

  /** Resolves when the queue has nothing left to do right now. */
  idle(): Promise<void> {
    return this.queue.idle();
  }
}
