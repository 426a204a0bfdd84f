import {
  ApiException,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
} from '@kubernetes/client-node';
import { type GirokPlatform, GROUP, PLURAL, VERSION } from '../api/platform.ts';

export const FIELD_MANAGER = 'girok-operator';

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

export const refOf = (o: KubernetesObject): ObjectRef => ({
  apiVersion: o.apiVersion ?? '',
  kind: o.kind ?? '',
  name: o.metadata?.name ?? '',
  ...(o.metadata?.namespace ? { namespace: o.metadata.namespace } : {}),
});

export const describeRef = (r: ObjectRef) => `${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`;

/** Everything the operator asks of the API server, behind one seam (injected, so counted and faked in unit tests). */
export interface Cluster {
  get(ref: ObjectRef): Promise<KubernetesObject | undefined>;
  list(
    apiVersion: string,
    kind: string,
    namespace: string,
    labelSelector: string,
  ): Promise<KubernetesObject[]>;
  /** Server-side apply with the given field manager, forcing ownership of the fields it sets. */
  apply(object: KubernetesObject, fieldManager?: string): Promise<KubernetesObject>;
  delete(ref: ObjectRef): Promise<void>;
  /** Creates the object unless one of that name exists: returns it, or undefined when it existed (never overwritten). */
  createIfAbsent(object: KubernetesObject): Promise<KubernetesObject | undefined>;
  replaceStatus(platform: GirokPlatform): Promise<GirokPlatform>;
  event(platform: GirokPlatform, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void>;
}

const firstLine = (text: string) => text.split('\n', 1)[0]?.trim() ?? '';
const parsed = (body: unknown): unknown => {
  if (typeof body !== 'string') return body;
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
};

/**
 * One readable sentence for a failed call, for conditions and events: the Status's reason and
 * message the API server sent, never the raw body, headers or a stack (those go to the log).
 */
export function describeError(e: unknown): string {
  if (e instanceof ApiException) {
    const status = parsed(e.body) as { reason?: unknown; message?: unknown } | undefined;
    const reason = typeof status?.reason === 'string' ? ` ${status.reason}` : '';
    const detail = typeof status?.message === 'string' ? `: ${firstLine(status.message)}` : '';
    return `the API server answered ${e.code}${reason}${detail}`;
  }
  if (e instanceof Error) {
    const cause = e.cause instanceof Error ? ` (${firstLine(e.cause.message)})` : '';
    return `${firstLine(e.message)}${cause}`;
  }
  return firstLine(String(e));
}

/** Not found, gone, or a kind the server does not serve (e.g. Gateway API CRDs not installed). */
const isNotFound = (e: unknown) => e instanceof ApiException && e.code === 404;

/** Whether the server serves this kind at all (a 404 on list means no such resource). */
export class KindNotServedError extends Error {}

export function apiCluster(kc: KubeConfig): Cluster {
  const objects = KubernetesObjectApi.makeApiClient(kc);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const core = kc.makeApiClient(CoreV1Api);
  return {
    async get(ref) {
      try {
        return await objects.read({
          apiVersion: ref.apiVersion,
          kind: ref.kind,
          metadata: { name: ref.name, namespace: ref.namespace ?? '' },
        });
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    },
    async list(apiVersion, kind, namespace, labelSelector) {
      try {
        const list = await objects.list(
          apiVersion,
          kind,
          namespace,
          undefined,
          undefined,
          undefined,
          undefined,
          labelSelector,
        );
        return list.items;
      } catch (e) {
        if (isNotFound(e) || (e instanceof Error && /Unrecognized API version and kind/.test(e.message))) {
          throw new KindNotServedError(`${kind} (${apiVersion}) is not served by this API server`);
        }
        throw e;
      }
    },
    apply: (object, fieldManager = FIELD_MANAGER) =>
      objects.patch(object, undefined, undefined, fieldManager, true, PatchStrategy.ServerSideApply),
    async delete(ref) {
      try {
        await objects.delete(
          {
            apiVersion: ref.apiVersion,
            kind: ref.kind,
            metadata: { name: ref.name, namespace: ref.namespace ?? '' },
          },
          undefined,
          undefined,
          undefined,
          undefined,
          'Background',
        );
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    },
    async createIfAbsent(object) {
      try {
        return await objects.create(object, undefined, undefined, FIELD_MANAGER);
      } catch (e) {
        if (e instanceof ApiException && e.code === 409) return undefined;
        throw e;
      }
    },
    replaceStatus: async (platform) =>
      (await custom.replaceNamespacedCustomObjectStatus({
        group: GROUP,
        version: VERSION,
        plural: PLURAL,
        namespace: platform.metadata?.namespace ?? '',
        name: platform.metadata?.name ?? '',
        body: platform,
      })) as GirokPlatform,
    async event(platform, type, reason, message) {
      const now = new Date();
      const namespace = platform.metadata?.namespace ?? 'default';
      await core.createNamespacedEvent({
        namespace,
        body: {
          metadata: { generateName: `${platform.metadata?.name}.`, namespace },
          involvedObject: {
            apiVersion: platform.apiVersion ?? '',
            kind: platform.kind ?? '',
            name: platform.metadata?.name ?? '',
            namespace,
            uid: platform.metadata?.uid ?? '',
          },
          type,
          reason,
          message,
          source: { component: FIELD_MANAGER },
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
          reportingComponent: FIELD_MANAGER,
          reportingInstance: FIELD_MANAGER,
        },
      });
    },
  };
}
