// The operator process: leader election, then watch -> queue -> reconcile; /metrics, /healthz, /readyz.
import http from 'node:http';
import { KubeConfig } from '@kubernetes/client-node';
import { loadOperatorConfig } from './config.ts';
import { PlatformController } from './controllers/platform-controller.ts';
import { PlatformReconciler } from './controllers/platform-reconciler.ts';
import { apiCluster } from './k8s/cluster.ts';
import { meteredCluster } from './k8s/metered-cluster.ts';
import { LeaseElector } from './leader/lease-elector.ts';
import { operatorMetrics } from './metrics.ts';
import { kafkaTopicAdmin } from './topics/topic-admin.ts';

const log = (message: string, fields: Record<string, unknown> = {}) =>
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), msg: message, ...fields })}\n`);

const config = loadOperatorConfig();
const kc = new KubeConfig();
if (config.kubeconfig) kc.loadFromFile(config.kubeconfig);
else kc.loadFromCluster();

const metrics = operatorMetrics();
const reconciler = new PlatformReconciler({
  cluster: meteredCluster(
    apiCluster(kc),
    metrics,
    new URL(kc.getCurrentCluster()?.server ?? 'https://unknown').host,
  ),
  topics: kafkaTopicAdmin(),
  clusterDomain: config.clusterDomain,
  dryRun: config.dryRun,
  log,
});
const controller = new PlatformController({
  kc,
  reconciler,
  metrics,
  log,
  resyncMs: config.resyncMs,
  concurrency: config.concurrency,
});
let started = false;

const elector = new LeaseElector({
  kc,
  namespace: config.leaseNamespace,
  name: config.leaseName,
  identity: config.identity,
  leaseDurationMs: config.leaseDurationMs,
  log,
  onStartedLeading: () => {
    metrics.leading(true, config.leaseName);
    log('leading', { identity: config.identity, dryRun: config.dryRun });
    controller.start().then(
      () => {
        started = true;
      },
      (e: unknown) => {
        log('could not start the watches', { error: String(e) });
        process.exit(1);
      },
    );
  },
  onStoppedLeading: () => {
    // Another replica may already act: stop at once rather than race it (controller-runtime does the same).
    metrics.leading(false, config.leaseName);
    log('lost the lease; exiting', { identity: config.identity });
    process.exit(1);
  },
});

const server = http.createServer((req, res) => {
  if (req.url === '/metrics') {
    metrics.registry.metrics().then((body) => {
      res.writeHead(200, { 'content-type': metrics.registry.contentType });
      res.end(body);
    });
  } else if (req.url === '/healthz') {
    res.writeHead(200).end('ok');
  } else if (req.url === '/readyz') {
    // A standby is ready too: it is healthy and waiting for the lease.
    const ready = !elector.isLeader || started;
    res.writeHead(ready ? 200 : 503).end(ready ? 'ok' : 'starting');
  } else res.writeHead(404).end();
});
server.listen(config.metricsPort, () => {
  const address = server.address();
  log('serving /metrics /healthz /readyz', {
    port: typeof address === 'object' && address ? address.port : config.metricsPort,
  });
  metrics.leading(false, config.leaseName);
  elector.start();
});

const shutdown = async () => {
  log('shutting down');
  await controller.stop().catch(() => {});
  await elector.stop();
  server.close();
  process.exit(0);
};
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());
