import type { V1Deployment, V1ResourceRequirements } from '@kubernetes/client-node';
import { METRICS_PORT } from './catalogue.ts';
import {
  API_TOKEN_DIR,
  componentConfigMap,
  configHash,
  WORKLOAD_AUDIENCE,
  WORKLOAD_TOKEN_DIR,
} from './configmap.ts';
import {
  componentLabels,
  componentSelector,
  type PlatformView,
  type ResolvedComponent,
} from './platform-view.ts';
import { componentSecretEnv } from './secrets.ts';

/** How long a stopping Pod keeps serving while the endpoints that still name it catch up. */
const PRE_STOP_SECONDS = 5;
/** How long the service then has to finish calls in flight after SIGTERM. */
const DRAIN_SECONDS = 25;
/** The images' `nonroot` user (ADR 0017): its home folder and files are its own. */
const RUN_AS = 65532;

/** The API server stores quantities as strings; writing them so keeps desired and live comparable. */
const quantities = (r: ResolvedComponent['spec']['resources']): V1ResourceRequirements => {
  const strings = (m: Record<string, string | number> | undefined) =>
    m && Object.fromEntries(Object.entries(m).map(([k, v]) => [k, String(v)]));
  const requests = strings(r.requests);
  const limits = strings(r.limits);
  return { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) };
};

export function componentDeployment(view: PlatformView, c: ResolvedComponent): V1Deployment {
  const labels = componentLabels(view, c);
  const env = componentSecretEnv(view, c);
  const resources = quantities(c.spec.resources);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: c.objectName, namespace: view.namespace, labels, ownerReferences: [view.owner] },
    spec: {
      replicas: c.replicas,
      revisionHistoryLimit: 5,
      selector: { matchLabels: componentSelector(view, c) },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: {
          labels,
          annotations: { 'platform.girok.dev/config-hash': configHash(componentConfigMap(view, c)) },
        },
        spec: {
          serviceAccountName: c.serviceAccountName,
          // The default mount is replaced by the two below: the `girok` token the component shows its
          // peers, and the API-server token (with the cluster CA) it reads the issuer's keys with.
          automountServiceAccountToken: false,
          terminationGracePeriodSeconds: PRE_STOP_SECONDS + DRAIN_SECONDS,
          enableServiceLinks: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: RUN_AS,
            runAsGroup: RUN_AS,
            fsGroup: RUN_AS,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          containers: [
            {
              name: c.name,
              image: c.image,
              ports: [
                { name: 'http', containerPort: c.restPort, protocol: 'TCP' },
                ...(c.grpcPort === undefined
                  ? []
                  : [{ name: 'grpc', containerPort: c.grpcPort, protocol: 'TCP' }]),
                { name: 'metrics', containerPort: METRICS_PORT, protocol: 'TCP' },
              ],
              envFrom: [{ configMapRef: { name: `${c.objectName}-config` } }],
              ...(env.length > 0 ? { env } : {}),
              resources,
              // The services write why they could not start to /dev/termination-log; the operator
              // reads it from the Pod's status into the platform's ComponentsFailing condition.
              terminationMessagePath: '/dev/termination-log',
              terminationMessagePolicy: 'FallbackToLogsOnError',
              // Until the Gateway and kube-proxy have dropped the Pod from their endpoints, it
              // keeps serving; only then does SIGTERM start the drain, so a rollout fails no request.
              lifecycle: { preStop: { sleep: { seconds: PRE_STOP_SECONDS } } },
              livenessProbe: {
                httpGet: { path: '/health/live', port: 'http' },
                periodSeconds: 10,
                failureThreshold: 3,
              },
              readinessProbe: {
                httpGet: { path: '/health/ready', port: 'http' },
                periodSeconds: 5,
                failureThreshold: 3,
              },
              startupProbe: {
                httpGet: { path: '/health/live', port: 'http' },
                periodSeconds: 2,
                failureThreshold: 30,
              },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
              },
              volumeMounts: [
                { name: 'tmp', mountPath: '/tmp' },
                { name: 'workload-token', mountPath: WORKLOAD_TOKEN_DIR, readOnly: true },
                { name: 'api-token', mountPath: API_TOKEN_DIR, readOnly: true },
              ],
            },
          ],
          volumes: [
            { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
            {
              name: 'workload-token',
              projected: {
                sources: [
                  {
                    serviceAccountToken: {
                      audience: WORKLOAD_AUDIENCE,
                      expirationSeconds: 3600,
                      path: 'token',
                    },
                  },
                ],
              },
            },
            {
              name: 'api-token',
              projected: {
                sources: [
                  { serviceAccountToken: { expirationSeconds: 3600, path: 'token' } },
                  { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
                ],
              },
            },
          ],
        },
      },
    },
  };
}
