import type { V1Service } from '@kubernetes/client-node';
import { METRICS_PORT } from './catalogue.ts';
import {
  componentLabels,
  componentSelector,
  type PlatformView,
  type ResolvedComponent,
} from './platform-view.ts';

export function componentService(view: PlatformView, c: ResolvedComponent): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: c.objectName,
      namespace: view.namespace,
      labels: componentLabels(view, c),
      ownerReferences: [view.owner],
    },
    spec: {
      type: 'ClusterIP',
      selector: componentSelector(view, c),
      ports: [
        { name: 'http', port: c.restPort, targetPort: 'http', protocol: 'TCP', appProtocol: 'http' },
        ...(c.grpcPort === undefined
          ? []
          : // Gateway implementations (Cilium) speak cleartext HTTP/2 to the backend only when told so.
            [
              {
                name: 'grpc',
                port: c.grpcPort,
                targetPort: 'grpc',
                protocol: 'TCP',
                appProtocol: 'kubernetes.io/h2c',
              },
            ]),
        // Scraped in the cluster only: no route of the Gateway points at it.
        { name: 'metrics', port: METRICS_PORT, targetPort: 'metrics', protocol: 'TCP', appProtocol: 'http' },
      ],
    },
  };
}
