import { createHash } from 'node:crypto';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { componentLabels, type PlatformView, type ResolvedComponent } from './platform-view.ts';

/** The non-secret settings of one component, read by its container as environment variables. */
export function componentConfigMap(view: PlatformView, c: ResolvedComponent): V1ConfigMap {
  const peers = Object.fromEntries(
    view.components
      .filter((p) => p.grpcPort !== undefined)
      .map((p) => [
        `${p.name.toUpperCase().replaceAll('-', '_')}_GRPC_ADDRESS`,
        `${p.objectName}:${p.grpcPort}`,
      ]),
  );
  const brokers = view.platform.spec.events?.brokers;
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: `${c.objectName}-config`,
      namespace: view.namespace,
      labels: componentLabels(view, c),
      ownerReferences: [view.owner],
    },
    data: {
      GIROK_ENVIRONMENT: view.environment,
      // The names each service's config.ts reads.
      HTTP_PORT: String(c.restPort),
      ...(c.grpcPort === undefined ? {} : { GRPC_PORT: String(c.grpcPort) }),
      ...(brokers ? { KAFKA_BROKERS: brokers.join(',') } : {}),
      ...peers,
    },
  };
}

/** Stable hash of a ConfigMap's data: put on the Pod template so a config change rolls the Pods. */
export const configHash = (cm: V1ConfigMap): string =>
  createHash('sha256')
    .update(JSON.stringify(Object.entries(cm.data ?? {}).sort(([a], [b]) => a.localeCompare(b))))
    .digest('hex')
    .slice(0, 16);
