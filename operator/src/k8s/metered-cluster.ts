import { ApiException } from '@kubernetes/client-node';
import type { OperatorMetrics } from '../metrics.ts';
import type { Cluster } from './cluster.ts';

/**
 * Wraps a Cluster and counts every request it makes as `rest_client_requests_total{method,code,host}`
 * (controller-runtime's client metric). The code is the API server's for a failure and for a
 * not-found read; a success counts as the verb's success code (the client library does not hand
 * the status of a success back; a create by apply counts as 200, not 201), and a create-only POST
 * that found the object already there as 409.
 */
export function meteredCluster(
  inner: Cluster,
  metrics: Pick<OperatorMetrics, 'request'>,
  host: string,
): Cluster {
  const call = async <T>(
    method: string,
    ok: string,
    run: () => Promise<T>,
    code = (_: T) => ok,
  ): Promise<T> => {
    try {
      const result = await run();
      metrics.request(method, code(result), host);
      return result;
    } catch (e) {
      metrics.request(method, e instanceof ApiException ? String(e.code) : '<error>', host);
      throw e;
    }
  };
  return {
    get: (ref) =>
      call(
        'GET',
        '200',
        () => inner.get(ref),
        (found) => (found ? '200' : '404'),
      ),
    list: (...args) => call('GET', '200', () => inner.list(...args)),
    apply: (o, m) => call('PATCH', '200', () => inner.apply(o, m)),
    delete: (ref) => call('DELETE', '200', () => inner.delete(ref)),
    createIfAbsent: (o) =>
      call(
        'POST',
        '201',
        () => inner.createIfAbsent(o),
        // The client takes an AlreadyExists answer as "someone else's": the API server said 409.
        (created) => (created ? '201' : '409'),
      ),
    replaceStatus: (p) => call('PUT', '200', () => inner.replaceStatus(p)),
    event: (...args) => call('POST', '201', () => inner.event(...args)),
  };
}
