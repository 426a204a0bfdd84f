import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Prometheus metrics under controller-runtime's names, so existing dashboards and alerts apply. */
export function operatorMetrics(controller = 'girokplatform') {
  const registry = new Registry();
  const reconcileTotal = new Counter({
    name: 'controller_runtime_reconcile_total',
    help: 'Total number of reconciliations per controller',
    labelNames: ['controller', 'result'],
    registers: [registry],
  });
  const reconcileErrors = new Counter({
    name: 'controller_runtime_reconcile_errors_total',
    help: 'Total number of reconciliation errors per controller',
    labelNames: ['controller'],
    registers: [registry],
  });
  const reconcileTime = new Histogram({
    name: 'controller_runtime_reconcile_time_seconds',
    help: 'Length of time per reconciliation per controller',
    labelNames: ['controller'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const depth = new Gauge({
    name: 'workqueue_depth',
    help: 'Current depth of workqueue',
    labelNames: ['name'],
    registers: [registry],
  });
  const adds = new Counter({
    name: 'workqueue_adds_total',
    help: 'Total number of adds handled by workqueue',
    labelNames: ['name'],
    registers: [registry],
  });
  const retries = new Counter({
    name: 'workqueue_retries_total',
    help: 'Total number of retries handled by workqueue',
    labelNames: ['name'],
    registers: [registry],
  });
  const requests = new Counter({
    name: 'rest_client_requests_total',
    help: 'Number of HTTP requests, partitioned by status code, method, and host.',
    labelNames: ['code', 'method', 'host'],
    registers: [registry],
  });
  const leader = new Gauge({
    name: 'leader_election_master_status',
    help: 'Whether this process is the leader (1) or not (0)',
    labelNames: ['name'],
    registers: [registry],
  });
  return {
    registry,
    reconciled(result: 'success' | 'error' | 'requeue_after', seconds: number) {
      reconcileTotal.inc({ controller, result });
      if (result === 'error') reconcileErrors.inc({ controller });
      reconcileTime.observe({ controller }, seconds);
    },
    queue(event: 'add' | 'retry' | 'depth', value?: number) {
      if (event === 'add') adds.inc({ name: controller });
      else if (event === 'retry') retries.inc({ name: controller });
      else depth.set({ name: controller }, value ?? 0);
    },
    /** One request to the API server: its HTTP method, status code (`<error>` when none came back) and host. */
    request(method: string, code: string, host: string) {
      requests.inc({ code, method, host });
    },
    leading(isLeader: boolean, lease: string) {
      leader.set({ name: lease }, isLeader ? 1 : 0);
    },
  };
}

export type OperatorMetrics = ReturnType<typeof operatorMetrics>;
